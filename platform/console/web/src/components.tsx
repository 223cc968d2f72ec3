import { type ReactNode, useState } from 'react'

export function Page({
  title,
  actions,
  children,
}: {
  title: string
  actions?: ReactNode
  children: ReactNode
}) {
  return (
    <section className="page">
      <header className="page-head">
        <h1>{title}</h1>
        <div className="actions">{actions}</div>
      </header>
      {children}
    </section>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'muted'; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>
}

/**
 * Only the rows in view are in the DOM (fixed row height), so a list of
 * tens of thousands of log lines or spans scrolls as fast as one of ten.
 */
export function VirtualList<T>({
  items,
  rowHeight,
  height,
  render,
}: {
  items: T[]
  rowHeight: number
  height: number
  render: (item: T, index: number) => ReactNode
}) {
  const [top, setTop] = useState(0)
  const first = Math.max(0, Math.floor(top / rowHeight) - 10)
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + 10)
  const rows: ReactNode[] = []
  for (let i = first; i < last; i++)
    rows.push(
      <div key={i} className="vrow" style={{ top: i * rowHeight, height: rowHeight }}>
        {render(items[i]!, i)}
      </div>,
    )
  return (
    <div
      className="vlist"
      style={{ height: Math.min(height, Math.max(items.length * rowHeight, rowHeight)) }}
      onScroll={(e) => setTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  )
}

/** A small line chart in SVG: one or more series over time, with its latest value in the title. */
export function Chart({
  title,
  points,
  series,
  unit,
}: {
  title: string
  points: Array<Record<string, number | undefined>>
  series: Array<{ key: string; color: string; label: string }>
  unit: string
}) {
  const width = 320
  const height = 110
  const pad = 4
  const values = points.flatMap((p) =>
    series.map((s) => p[s.key]).filter((v): v is number => typeof v === 'number'),
  )
  const max = Math.max(1e-9, ...values)
  const times = points.map((p) => p['t'] as number)
  const t0 = Math.min(...times)
  const t1 = Math.max(...times)
  const x = (t: number) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad)
  const y = (v: number) => height - pad - (v / max) * (height - 2 * pad)
  const latest = points.at(-1)
  return (
    <figure className="chart" data-points={points.length}>
      <figcaption>
        <span>{title}</span>
        <span className="latest">
          {series.map((s) => (
            <span key={s.key} style={{ color: s.color }}>
              {latest && typeof latest[s.key] === 'number'
                ? `${(latest[s.key] as number).toFixed(1)} ${unit}`
                : '–'}{' '}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={title}>
        <line x1={pad} x2={width - pad} y1={height - pad} y2={height - pad} className="axis" />
        {points.length > 1 &&
          series.map((s) => (
            <polyline
              key={s.key}
              fill="none"
              stroke={s.color}
              strokeWidth={1.5}
              points={points
                .filter((p) => typeof p[s.key] === 'number')
                .map((p) => `${x(p['t'] as number).toFixed(1)},${y(p[s.key] as number).toFixed(1)}`)
                .join(' ')}
            />
          ))}
      </svg>
      <div className="chart-foot">
        max {max.toFixed(1)} {unit}
      </div>
    </figure>
  )
}
