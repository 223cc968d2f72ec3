import { usePoll } from '../api'
import { Badge, Empty, Page } from '../components'

interface Topology {
  services: Array<{
    name: string
    kind: string
    instances: Array<{
      instance: string
      up?: boolean
      ready?: boolean
      phase?: string
      rps: number
      errorsPerS: number
    }>
  }>
  edges: Array<{ from: string; to: string; count: number; errors: number }>
}

const ORDER = ['gateway', 'service', 'config', 'registry', 'console']

/** Services as boxes in columns by call depth (gateway first), call edges seen in traces as arrows. */
export function TopologyPage() {
  const { data } = usePoll<Topology>('/api/topology', 2_000)
  if (!data)
    return (
      <Page title="Topology">
        <Empty>Loading…</Empty>
      </Page>
    )
  const depth = new Map<string, number>()
  const services = [...data.services].sort(
    (a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.name.localeCompare(b.name),
  )
  for (const s of services) depth.set(s.name, s.kind === 'gateway' ? 0 : 1)
  // Callees sit one column right of their callers (bounded, so a cycle cannot loop).
  for (let pass = 0; pass < 5; pass++)
    for (const e of data.edges)
      if ((depth.get(e.to) ?? 1) <= (depth.get(e.from) ?? 0) && e.from !== e.to)
        depth.set(e.to, Math.min(4, (depth.get(e.from) ?? 0) + 1))
  const platform = services.filter((s) => !['gateway', 'service'].includes(s.kind))
  const columns = new Map<number, typeof services>()
  for (const s of services.filter((s) => ['gateway', 'service'].includes(s.kind))) {
    const d = depth.get(s.name) ?? 1
    columns.set(d, [...(columns.get(d) ?? []), s])
  }
  const boxW = 190
  const gapX = 90
  const pos = new Map<string, { x: number; y: number; h: number }>()
  let height = 0
  for (const [d, list] of [...columns].sort((a, b) => a[0] - b[0])) {
    let y = 20
    for (const s of list) {
      const h = 44 + s.instances.length * 22
      pos.set(s.name, { x: 20 + d * (boxW + gapX), y, h })
      y += h + 24
    }
    height = Math.max(height, y)
  }
  const width = 40 + (Math.max(0, ...columns.keys()) + 1) * (boxW + gapX)
  const healthy = (i: Topology['services'][0]['instances'][0]) =>
    i.up !== false && (i.phase === undefined || i.phase === 'running')
  return (
    <Page title="Topology">
      <svg
        className="topology"
        viewBox={`0 0 ${width} ${Math.max(height, 120)}`}
        width={width}
        height={Math.max(height, 120)}
      >
        <title>Services, their instances and the calls seen in traces</title>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#7c8aa5" />
          </marker>
        </defs>
        {data.edges.map((e) => {
          const a = pos.get(e.from)
          const b = pos.get(e.to)
          if (!a || !b) return null
          const x1 = a.x + boxW
          const y1 = a.y + a.h / 2
          const x2 = b.x
          const y2 = b.y + b.h / 2
          const backwards = x2 <= x1
          const path = backwards
            ? `M ${a.x + boxW / 2} ${a.y + a.h} C ${a.x + boxW / 2} ${a.y + a.h + 40}, ${b.x + boxW / 2} ${b.y - 40}, ${b.x + boxW / 2} ${b.y}`
            : `M ${x1} ${y1} C ${x1 + 40} ${y1}, ${x2 - 40} ${y2}, ${x2} ${y2}`
          return (
            <g key={`${e.from}-${e.to}`} className={e.errors ? 'edge bad' : 'edge'}>
              <path d={path} fill="none" markerEnd="url(#arrow)" />
              <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 6}>
                {e.count} calls{e.errors ? `, ${e.errors} errors` : ''}
              </text>
            </g>
          )
        })}
        {services.map((s) => {
          const p = pos.get(s.name)
          if (!p) return null
          const allUp = s.instances.every(healthy)
          return (
            <a key={s.name} href={`#/traces?service=${s.name}`} className="node">
              <g transform={`translate(${p.x},${p.y})`}>
                <title>{`${s.name}: its traces`}</title>
                <rect width={boxW} height={p.h} rx={8} className={allUp ? 'ok' : 'bad'} />
                <text x={12} y={24} className="node-title">
                  {s.name}
                </text>
                {s.instances.map((i, n) => (
                  <g key={i.instance} transform={`translate(12, ${44 + n * 22})`}>
                    <circle r={5} cx={5} cy={-4} className={healthy(i) ? 'dot ok' : 'dot bad'} />
                    <text x={16} y={0} className="node-instance">
                      {i.instance} · {i.rps.toFixed(1)} rps
                    </text>
                  </g>
                ))}
              </g>
            </a>
          )
        })}
      </svg>
      <h2>Platform</h2>
      <div className="chips">
        {platform.map((s) =>
          s.instances.map((i) => (
            <Badge key={i.instance} tone={healthy(i) ? 'ok' : 'bad'}>
              {i.instance} {i.phase ?? ''}
            </Badge>
          )),
        )}
      </div>
    </Page>
  )
}
