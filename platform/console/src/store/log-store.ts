/** One line an instance wrote, as the console keeps it. */
export interface LogEntry {
  seq: number
  /** Milliseconds since the epoch: the line's own `time`, or when it arrived. */
  time: number
  service: string
  instance: string
  stream: 'stdout' | 'stderr'
  level: string
  msg: string
  traceId: string | undefined
  /** The line as written (JSON for Trellis processes). */
  line: string
}

/** What the control loop ships: one line of one instance. */
export interface ShippedLine {
  instance: string
  service: string
  stream: 'stdout' | 'stderr'
  line: string
  /** When the control loop read it (ms since the epoch). */
  at: number
}

export interface LogQuery {
  service?: string | undefined
  instance?: string | undefined
  /** This level and above. */
  level?: string | undefined
  since?: number | undefined
  until?: number | undefined
  traceId?: string | undefined
  /** Free text, case-insensitive, anywhere in the line (an order id, say). */
  text?: string | undefined
  /** Only lines after this sequence number (following a stream). */
  after?: number | undefined
  limit?: number | undefined
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

const DEFAULTS = {
  // Bounded retention: the newest lines stay, the oldest go.
  maxLines: 50_000,
  maxLineLength: 8_192,
}

/**
 * Log lines in a ring buffer, with an index by trace id. Searches walk the
 * ring newest first with cheap field tests and stop at the limit; the free
 * text test runs on a lower-cased copy kept per line, so it needs no
 * allocation per line and query.
 */
export class LogStore {
  private readonly ring: Array<(LogEntry & { lower: string }) | undefined>
  private readonly byTrace = new Map<string, number[]>()
  private next = 0
  private readonly max: number

  constructor(options: { maxLines?: number } = {}) {
    this.max = options.maxLines ?? DEFAULTS.maxLines
    this.ring = new Array(this.max)
  }

  get size(): number {
    return Math.min(this.next, this.max)
  }

  /** The sequence number the next line will get. */
  get head(): number {
    return this.next
  }

  add(lines: ShippedLine[]): void {
    for (const shipped of lines) {
      const line =
        shipped.line.length > DEFAULTS.maxLineLength
          ? `${shipped.line.slice(0, DEFAULTS.maxLineLength)}…`
          : shipped.line
      const entry = parse(line, shipped)
      const seq = this.next++
      const slot = seq % this.max
      const evicted = this.ring[slot]
      if (evicted?.traceId) this.unindex(evicted.traceId, evicted.seq)
      this.ring[slot] = { ...entry, seq, lower: line.toLowerCase() }
      if (entry.traceId) {
        const list = this.byTrace.get(entry.traceId)
        if (list) list.push(seq)
        else this.byTrace.set(entry.traceId, [seq])
      }
    }
  }

  search(query: LogQuery = {}): LogEntry[] {
    const limit = Math.min(query.limit ?? 200, 5_000)
    const min = query.level ? (LEVELS[query.level] ?? 0) : 0
    const text = query.text?.toLowerCase()
    const oldest = Math.max(0, this.next - this.max, (query.after ?? -1) + 1)
    const out: LogEntry[] = []
    const test = (entry: (LogEntry & { lower: string }) | undefined): boolean =>
      entry !== undefined &&
      (!query.service || entry.service === query.service) &&
      (!query.instance || entry.instance === query.instance) &&
      (min === 0 || (LEVELS[entry.level] ?? 30) >= min) &&
      (query.since === undefined || entry.time >= query.since) &&
      (query.until === undefined || entry.time <= query.until) &&
      (!text || entry.lower.includes(text))
    if (query.traceId) {
      const seqs = this.byTrace.get(query.traceId) ?? []
      for (let i = seqs.length - 1; i >= 0 && out.length < limit; i--) {
        const seq = seqs[i]!
        if (seq < oldest) break
        const entry = this.ring[seq % this.max]
        if (test(entry)) out.push(strip(entry!))
      }
      return out.reverse()
    }
    for (let seq = this.next - 1; seq >= oldest && out.length < limit; seq--) {
      const entry = this.ring[seq % this.max]
      if (test(entry)) out.push(strip(entry!))
    }
    // Oldest first, like a terminal.
    return out.reverse()
  }

  /** Lines per level in the store (for the console's header). */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const entry of this.ring) if (entry) counts[entry.level] = (counts[entry.level] ?? 0) + 1
    return counts
  }

  private unindex(traceId: string, seq: number): void {
    const list = this.byTrace.get(traceId)
    if (!list) return
    const at = list.indexOf(seq)
    if (at !== -1) list.splice(at, 1)
    if (list.length === 0) this.byTrace.delete(traceId)
  }
}

function strip(entry: LogEntry & { lower: string }): LogEntry {
  const { lower: _lower, ...rest } = entry
  return rest
}

function parse(line: string, shipped: ShippedLine): Omit<LogEntry, 'seq'> {
  let level = shipped.stream === 'stderr' ? 'error' : 'info'
  let msg = line
  let traceId: string | undefined
  let time = shipped.at
  if (line.startsWith('{')) {
    try {
      const json = JSON.parse(line) as Record<string, unknown>
      if (typeof json['level'] === 'string') level = json['level']
      else if (typeof json['level'] === 'number') level = levelName(json['level'])
      if (typeof json['msg'] === 'string') msg = json['msg']
      if (typeof json['trace_id'] === 'string') traceId = json['trace_id']
      if (typeof json['time'] === 'string') {
        const parsed = Date.parse(json['time'])
        if (!Number.isNaN(parsed)) time = parsed
      } else if (typeof json['time'] === 'number') time = json['time']
    } catch {
      // Not JSON after all: kept as text.
    }
  }
  return {
    time,
    service: shipped.service,
    instance: shipped.instance,
    stream: shipped.stream,
    level,
    msg: msg.length > 500 ? `${msg.slice(0, 500)}…` : msg,
    traceId,
    line,
  }
}

function levelName(value: number): string {
  if (value >= 60) return 'fatal'
  if (value >= 50) return 'error'
  if (value >= 40) return 'warn'
  if (value >= 30) return 'info'
  if (value >= 20) return 'debug'
  return 'trace'
}
