import pc from 'picocolors'
import { request } from 'undici'
import { formatLine } from '../log/log-printer.js'
import { callControl } from './client.js'

/**
 * `trellis logs`, `trellis trace` and `trellis alerts`: read the console's
 * stores (logs of every instance, traces, alert states) from the terminal.
 */
export const OBSERVE_USAGE = `usage:
  trellis logs [service] [--trace <id>] [--instance <key>] [--level warn] [--grep <text>] [--since 10m] [--limit 200] [--follow]
  trellis trace <trace id | request id>
  trellis alerts [--rules]`

/** Where the console is: TRELLIS_CONSOLE_URL, else the port the running control loop reports, else the topology's. */
export async function consoleUrl(controlBase: string, fallbackPort: number): Promise<string> {
  const explicit = process.env['TRELLIS_CONSOLE_URL']
  if (explicit) return explicit.replace(/\/$/, '')
  const status = await callControl(controlBase, 'GET', '/v1/status').catch(() => undefined)
  const port = (status?.json as { ports?: Record<string, number> } | undefined)?.ports?.['console']
  return `http://127.0.0.1:${port ?? fallbackPort}`
}

async function get<T>(base: string, path: string): Promise<{ status: number; body: T }> {
  try {
    const res = await request(base + path, { headersTimeout: 5_000, bodyTimeout: 5_000 })
    const text = await res.body.text()
    return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T }
  } catch (error) {
    if ((error as { code?: string }).code === 'ECONNREFUSED')
      throw new Error(`the console does not answer at ${base}. Is Trellis running (\`npm start\`)?`)
    throw error
  }
}

interface LogEntry {
  seq: number
  instance: string
  stream: 'stdout' | 'stderr'
  line: string
}

export interface LogsOptions {
  service?: string | undefined
  trace?: string | undefined
  instance?: string | undefined
  level?: string | undefined
  grep?: string | undefined
  since?: string | undefined
  limit?: string | undefined
  follow: boolean
  json: boolean
  color: boolean
  out: NodeJS.WritableStream
  /** Stops following (tests); Ctrl-C otherwise. */
  signal?: AbortSignal
}

export async function logsCommand(base: string, options: LogsOptions): Promise<number> {
  const params = new URLSearchParams()
  if (options.service) params.set('service', options.service)
  if (options.trace) params.set('trace', options.trace)
  if (options.instance) params.set('instance', options.instance)
  if (options.level) params.set('level', options.level)
  if (options.grep) params.set('q', options.grep)
  if (options.since) params.set('since', String(Date.now() - durationMs(options.since)))
  params.set('limit', options.limit ?? '200')
  const print = (entry: LogEntry) => {
    if (options.json)
      options.out.write(
        `${entry.line.startsWith('{') ? entry.line.replace(/^\{/, `{"source":${JSON.stringify(entry.instance)},`) : JSON.stringify({ source: entry.instance, msg: entry.line })}\n`,
      )
    else {
      const prefix = entry.instance.padEnd(12)
      options.out.write(
        `${options.color ? pc.cyan(prefix) : prefix} ${formatLine(entry.line, options.color, entry.stream)}\n`,
      )
    }
  }
  let { status, body } = await get<{ items: LogEntry[]; head: number; detail?: string }>(
    base,
    `/api/logs?${params}`,
  )
  if (status !== 200) throw new Error(body.detail ?? `the console answered ${status}`)
  for (const entry of body.items) print(entry)
  if (!options.follow) return 0
  let after = body.head
  while (!options.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    params.set('after', String(after))
    params.set('limit', '1000')
    ;({ status, body } = await get<{ items: LogEntry[]; head: number }>(base, `/api/logs?${params}`))
    if (status !== 200) continue
    for (const entry of body.items) print(entry)
    after = Math.max(after, body.head)
  }
  return 0
}

interface Span {
  spanId: string
  parentSpanId?: string
  name: string
  service: string
  instance: string
  startMs: number
  durationMs: number
  status: number
  kind: number
}

const KIND = ['', 'internal', 'server', 'client', 'producer', 'consumer']

/** A trace as a waterfall: one line per span, indented under its parent, with a bar on a shared time axis. */
export function renderWaterfall(spans: Span[], color: boolean, width = 40): string {
  if (spans.length === 0) return 'no spans'
  const start = Math.min(...spans.map((s) => s.startMs))
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs))
  const total = Math.max(end - start, 0.001)
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string, Span[]>()
  const roots: Span[] = []
  for (const span of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? []
      list.push(span)
      children.set(span.parentSpanId, list)
    } else roots.push(span)
  }
  const rows: Array<{ label: string; span: Span }> = []
  const walk = (span: Span, depth: number) => {
    rows.push({ label: `${'  '.repeat(depth)}${span.service} ${span.name}`, span })
    for (const child of children.get(span.spanId) ?? []) walk(child, depth + 1)
  }
  for (const root of roots) walk(root, 0)
  const labelWidth = Math.min(70, Math.max(...rows.map((r) => r.label.length)))
  const lines = [
    `${spans.length} spans, ${[...new Set(spans.map((s) => s.service))].join(', ')}, ${total.toFixed(1)} ms`,
  ]
  for (const { label, span } of rows) {
    const from = Math.floor(((span.startMs - start) / total) * width)
    const length = Math.max(1, Math.round((span.durationMs / total) * width))
    const bar = `${' '.repeat(from)}${'█'.repeat(Math.min(length, width - from))}`.padEnd(width)
    const paint = !color ? (s: string) => s : span.status === 2 ? pc.red : pc.green
    const text = label.length > labelWidth ? `${label.slice(0, labelWidth - 1)}…` : label.padEnd(labelWidth)
    lines.push(
      `${text} │${paint(bar)}│ ${span.durationMs.toFixed(1).padStart(8)} ms ${KIND[span.kind] ?? ''}${span.status === 2 ? ' error' : ''}`,
    )
  }
  return lines.join('\n')
}

export async function traceCommand(
  base: string,
  id: string | undefined,
  color: boolean,
  out: NodeJS.WritableStream,
  json: boolean,
): Promise<number> {
  if (!id) throw new Error(OBSERVE_USAGE)
  const { status, body } = await get<{ traceId: string; spans: Span[]; detail?: string }>(
    base,
    `/api/traces/${encodeURIComponent(id)}`,
  )
  if (status !== 200) throw new Error(body.detail ?? `the console answered ${status}`)
  out.write(
    json
      ? `${JSON.stringify(body, null, 2)}\n`
      : `trace ${body.traceId}\n${renderWaterfall(body.spans, color)}\n`,
  )
  return 0
}

interface Alert {
  rule: string
  severity: string
  state: string
  labels: Record<string, string>
  value: string
  since: number
  resolvedAt?: number
}

export async function alertsCommand(
  base: string,
  rules: boolean,
  color: boolean,
  out: NodeJS.WritableStream,
  json: boolean,
): Promise<number> {
  if (rules) {
    const res = await request(`${base}/api/alerts/rules.yml`, { headersTimeout: 5_000, bodyTimeout: 5_000 })
    out.write(await res.body.text())
    return 0
  }
  const { body } = await get<{ items: Alert[] }>(base, '/api/alerts')
  if (json) {
    out.write(`${JSON.stringify(body.items, null, 2)}\n`)
    return 0
  }
  if (body.items.length === 0) {
    out.write('no alerts\n')
    return 0
  }
  for (const alert of body.items) {
    const state =
      alert.state === 'firing'
        ? color
          ? pc.red('FIRING  ')
          : 'FIRING  '
        : color
          ? pc.green('resolved')
          : 'resolved'
    const labels = Object.entries(alert.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    const when = new Date(alert.state === 'firing' ? alert.since : (alert.resolvedAt ?? alert.since))
      .toISOString()
      .slice(11, 19)
    out.write(`${state} ${alert.rule.padEnd(22)} ${labels.padEnd(40)} ${alert.value} (since ${when})\n`)
  }
  return 0
}

/** `10m` → 600000; `30s`, `2h`, or plain milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim())
  if (!match) throw new Error(`--since ${text}: use a duration like 30s, 10m or 2h`)
  const n = Number(match[1])
  const unit = match[2] ?? 'ms'
  return n * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1_000 : 1)
}
