import { useState } from 'react'
import { fmtTime, usePoll } from '../api'
import { Empty, Page, VirtualList } from '../components'

interface Entry {
  seq: number
  time: number
  service: string
  instance: string
  level: string
  msg: string
  traceId?: string
  line: string
}

export function LogsPage({ query }: { query: URLSearchParams }) {
  const [form, setForm] = useState({
    q: query.get('q') ?? '',
    service: query.get('service') ?? '',
    instance: '',
    level: '',
    trace: query.get('trace') ?? '',
    limit: '2000',
  })
  const [applied, setApplied] = useState(form)
  const [live, setLive] = useState(true)
  const params = new URLSearchParams(Object.entries(applied).filter(([, v]) => v !== ''))
  const { data } = usePoll<{ items: Entry[]; stored: number; tookMs: number }>(
    `/api/logs?${params}`,
    live ? 2_000 : 0,
  )
  const [open, setOpen] = useState<Entry>()
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value })
  return (
    <Page title="Logs">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault()
          setApplied(form)
        }}
      >
        <input
          placeholder="search text (an order id…)"
          value={form.q}
          onChange={set('q')}
          aria-label="search text"
          className="wide"
        />
        <input placeholder="service" value={form.service} onChange={set('service')} aria-label="service" />
        <input
          placeholder="instance"
          value={form.instance}
          onChange={set('instance')}
          aria-label="instance"
        />
        <select value={form.level} onChange={set('level')} aria-label="level">
          <option value="">any level</option>
          <option value="debug">debug+</option>
          <option value="info">info+</option>
          <option value="warn">warn+</option>
          <option value="error">error+</option>
        </select>
        <input placeholder="trace id" value={form.trace} onChange={set('trace')} aria-label="trace id" />
        <button type="submit">Search</button>
        <label>
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> live
        </label>
      </form>
      <p className="muted">
        {data
          ? `${data.items.length} lines shown of ${data.stored} kept · search took ${data.tookMs} ms`
          : ''}
      </p>
      {!data ? (
        <Empty>Loading…</Empty>
      ) : data.items.length === 0 ? (
        <Empty>No lines match.</Empty>
      ) : (
        <VirtualList
          items={data.items}
          rowHeight={22}
          height={600}
          render={(e) => (
            <button
              type="button"
              className={`log-row lvl-${e.level}`}
              onClick={() => setOpen(e)}
              data-testid="log-line"
            >
              <span className="log-time">{fmtTime(e.time)}</span>
              <span className="log-inst">{e.instance}</span>
              <span className="log-level">{e.level}</span>
              <span className="log-msg">
                {e.msg} <span className="muted">{summary(e.line)}</span>
              </span>
              {e.traceId && (
                <a
                  className="log-trace"
                  href={`#/traces/${e.traceId}`}
                  onClick={(ev) => ev.stopPropagation()}
                >
                  trace
                </a>
              )}
            </button>
          )}
        />
      )}
      {open && (
        <pre className="detail mono" title="the whole line">
          {pretty(open.line)}
        </pre>
      )}
    </Page>
  )
}

const SKIP = new Set([
  'time',
  'level',
  'msg',
  'service',
  'instance',
  'pid',
  'hostname',
  'trace_id',
  'span_id',
])
function summary(line: string): string {
  if (!line.startsWith('{')) return ''
  try {
    const json = JSON.parse(line) as Record<string, unknown>
    return Object.entries(json)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')
      .slice(0, 300)
  } catch {
    return ''
  }
}
function pretty(line: string): string {
  try {
    return JSON.stringify(JSON.parse(line), null, 2)
  } catch {
    return line
  }
}
