import { useMemo, useState } from 'react'
import type { StoredSpan as Span, TraceSummary as Summary } from '../../../src/store/trace-types'
import { fmtMs, fmtTime, usePoll } from '../api'
import { Badge, Empty, Page, VirtualList } from '../components'
import { go } from '../router'

// No red: red marks errors.
const COLORS = ['#4f8cff', '#2bb673', '#f5a524', '#c86bfa', '#1fc8db', '#a3be8c', '#ff9f43', '#8b93ff']
const colorOf = (service: string) =>
  COLORS[[...service].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0) % COLORS.length]
const KIND = ['', 'internal', 'server', 'client', 'producer', 'consumer']

export function TracesPage({ query }: { query: URLSearchParams }) {
  const [service, setService] = useState(query.get('service') ?? '')
  const [errors, setErrors] = useState(false)
  const [lookup, setLookup] = useState('')
  const { data } = usePoll<{ items: Summary[]; stored: { traces: number; spans: number } }>(
    `/api/traces?limit=200${service ? `&service=${service}` : ''}${errors ? '&errors=true' : ''}`,
    3_000,
  )
  return (
    <Page
      title="Traces"
      actions={
        <form
          onSubmit={(e) => {
            e.preventDefault()
            if (lookup.trim()) go(`traces/${lookup.trim()}`)
          }}
        >
          <input
            placeholder="trace id or request id"
            value={lookup}
            onChange={(e) => setLookup(e.target.value)}
            aria-label="find trace"
          />
          <button type="submit">Open</button>
        </form>
      }
    >
      <div className="filters">
        <input
          placeholder="service"
          value={service}
          onChange={(e) => setService(e.target.value)}
          aria-label="service"
        />
        <label>
          <input type="checkbox" checked={errors} onChange={(e) => setErrors(e.target.checked)} /> errors only
        </label>
        <span className="muted">
          {data ? `${data.stored.traces} traces, ${data.stored.spans} spans kept` : ''}
        </span>
      </div>
      {!data ? (
        <Empty>Loading…</Empty>
      ) : data.items.length === 0 ? (
        <Empty>No traces yet: send a request through the gateway.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>time</th>
              <th>trace</th>
              <th>services</th>
              <th>spans</th>
              <th>duration</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((t) => (
              <tr key={t.traceId} className="clickable" onClick={() => go(`traces/${t.traceId}`)}>
                <td>{fmtTime(t.startMs)}</td>
                <td>
                  <strong>{t.name}</strong> {t.errors > 0 && <Badge tone="bad">{t.errors} errors</Badge>}
                  <div className="mono muted">{t.traceId}</div>
                </td>
                <td>
                  {t.services.map((s) => (
                    <span key={s} className="svc" style={{ borderColor: colorOf(s) }}>
                      {s}
                    </span>
                  ))}
                </td>
                <td>{t.spans}</td>
                <td>{fmtMs(t.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  )
}

export function TracePage({ id }: { id: string }) {
  const { data, error } = usePoll<{ traceId: string; spans: Span[] }>(
    `/api/traces/${encodeURIComponent(id)}`,
    0,
  )
  const [selected, setSelected] = useState<Span>()
  const rows = useMemo(() => (data ? order(data.spans) : []), [data])
  if (error)
    return (
      <Page title="Trace">
        <Empty>{error}</Empty>
      </Page>
    )
  if (!data)
    return (
      <Page title="Trace">
        <Empty>Loading…</Empty>
      </Page>
    )
  const start = Math.min(...data.spans.map((s) => s.startMs))
  const end = Math.max(...data.spans.map((s) => s.startMs + s.durationMs))
  const total = Math.max(end - start, 0.001)
  return (
    <Page
      title={`Trace ${data.traceId}`}
      actions={<a href={`#/logs?trace=${data.traceId}`}>Log lines of this trace →</a>}
    >
      <p className="muted">
        {data.spans.length} spans · {[...new Set(data.spans.map((s) => s.service))].join(', ')} ·{' '}
        {fmtMs(total)}
      </p>
      <div className="waterfall" data-testid="waterfall">
        <div className="wf-head">
          <span>span</span>
          <span>0</span>
          <span>{fmtMs(total)}</span>
        </div>
        <VirtualList
          items={rows}
          rowHeight={26}
          height={560}
          render={({ span, depth }) => (
            <button
              type="button"
              className={`wf-row ${selected?.spanId === span.spanId ? 'selected' : ''}`}
              onClick={() => setSelected(span)}
              data-testid="span-row"
            >
              <div className="wf-label" style={{ paddingLeft: depth * 14 }} title={span.name}>
                <span className="svc-dot" style={{ background: colorOf(span.service) }} />
                <span className="wf-service">{span.service}</span> {span.name}
              </div>
              <div className="wf-track">
                <div
                  className={`wf-bar ${span.status === 2 ? 'error' : ''}`}
                  style={{
                    left: `${((span.startMs - start) / total) * 100}%`,
                    width: `${Math.max(0.3, (span.durationMs / total) * 100)}%`,
                    background: colorOf(span.service),
                  }}
                />
                <span className="wf-ms">{fmtMs(span.durationMs)}</span>
              </div>
            </button>
          )}
        />
      </div>
      {selected && (
        <div className="detail">
          <h3>
            {selected.service} · {selected.name} <span className="muted">({KIND[selected.kind]})</span>
          </h3>
          <table className="kv">
            <tbody>
              <tr>
                <td>instance</td>
                <td>{selected.instance}</td>
              </tr>
              <tr>
                <td>span id</td>
                <td className="mono">{selected.spanId}</td>
              </tr>
              <tr>
                <td>duration</td>
                <td>{fmtMs(selected.durationMs)}</td>
              </tr>
              {selected.statusMessage && (
                <tr>
                  <td>status</td>
                  <td>{selected.statusMessage}</td>
                </tr>
              )}
              {Object.entries(selected.attributes).map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td className="mono">{String(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  )
}

/** Depth-first, children after their parent in start order. */
function order(spans: Span[]): Array<{ span: Span; depth: number }> {
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string, Span[]>()
  const roots: Span[] = []
  for (const s of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    if (s.parentSpanId && ids.has(s.parentSpanId))
      children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s])
    else roots.push(s)
  }
  const out: Array<{ span: Span; depth: number }> = []
  const stack = roots.reverse().map((span) => ({ span, depth: 0 }))
  while (stack.length) {
    const next = stack.pop()!
    out.push(next)
    for (const c of (children.get(next.span.spanId) ?? []).slice().reverse())
      stack.push({ span: c, depth: next.depth + 1 })
  }
  return out
}
