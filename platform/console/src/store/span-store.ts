import type { StoredSpan, TraceSummary } from './trace-types.js'

export type { StoredSpan, TraceSummary }

export interface TraceQuery {
  service?: string | undefined
  /** Only traces with an error span. */
  errors?: boolean | undefined
  /** Longer than this, in ms. */
  minMs?: number | undefined
  limit?: number | undefined
}

interface Trace {
  spans: StoredSpan[]
  requestId: string | undefined
  seq: number
}

const DEFAULTS = {
  // Bounded memory: beyond this many spans the oldest traces go, whole.
  maxSpans: 100_000,
  // One runaway trace (a loop publishing events) cannot take the store over.
  maxSpansPerTrace: 5_000,
}

/**
 * Spans in memory, grouped by trace, oldest traces dropped first beyond the
 * bound. Indexes by trace id and by request id (the gateway's X-Request-Id,
 * a span attribute): a lookup is one map read; listing walks traces newest
 * first and stops at the limit.
 */
export class SpanStore {
  private readonly traces = new Map<string, Trace>()
  private readonly byRequestId = new Map<string, string>()
  private spanCount = 0
  private seq = 0
  private readonly maxSpans: number
  private readonly maxSpansPerTrace: number

  constructor(options: { maxSpans?: number; maxSpansPerTrace?: number } = {}) {
    this.maxSpans = options.maxSpans ?? DEFAULTS.maxSpans
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? DEFAULTS.maxSpansPerTrace
  }

  get size(): { traces: number; spans: number } {
    return { traces: this.traces.size, spans: this.spanCount }
  }

  add(spans: StoredSpan[]): void {
    for (const span of spans) {
      let trace = this.traces.get(span.traceId)
      if (!trace) {
        trace = { spans: [], requestId: undefined, seq: 0 }
        this.traces.set(span.traceId, trace)
      }
      if (trace.spans.length >= this.maxSpansPerTrace) continue
      trace.spans.push(span)
      // Most recently touched last in the map: a trace that grows stays young.
      trace.seq = ++this.seq
      this.traces.delete(span.traceId)
      this.traces.set(span.traceId, trace)
      this.spanCount += 1
      const requestId = span.attributes['trellis.request_id']
      if (typeof requestId === 'string' && trace.requestId === undefined) {
        trace.requestId = requestId
        this.byRequestId.set(requestId, span.traceId)
      }
    }
    this.evict()
  }

  /** A trace by its id, or by the request id (X-Request-Id) of one of its requests. */
  get(id: string): StoredSpan[] | undefined {
    const traceId = this.traces.has(id) ? id : this.byRequestId.get(id)
    const trace = traceId ? this.traces.get(traceId) : undefined
    return trace ? [...trace.spans].sort((a, b) => a.startMs - b.startMs) : undefined
  }

  list(query: TraceQuery = {}): TraceSummary[] {
    const limit = Math.min(query.limit ?? 100, 1_000)
    const out: TraceSummary[] = []
    const all = [...this.traces.entries()]
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const [traceId, trace] = all[i]!
      if (query.service && !trace.spans.some((s) => s.service === query.service)) continue
      const summary = summarise(traceId, trace)
      if (query.errors && summary.errors === 0) continue
      if (query.minMs !== undefined && summary.durationMs < query.minMs) continue
      out.push(summary)
    }
    return out.sort((a, b) => b.startMs - a.startMs)
  }

  /** Calls between services seen in traces: a span of one service whose parent belongs to another. */
  edges(): Array<{ from: string; to: string; count: number; errors: number }> {
    const edges = new Map<string, { from: string; to: string; count: number; errors: number }>()
    for (const trace of this.traces.values()) {
      const byId = new Map(trace.spans.map((s) => [s.spanId, s]))
      for (const span of trace.spans) {
        const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined
        if (!parent || parent.service === span.service) continue
        const key = `${parent.service}→${span.service}`
        const edge = edges.get(key) ?? { from: parent.service, to: span.service, count: 0, errors: 0 }
        edge.count += 1
        if (span.status === 2) edge.errors += 1
        edges.set(key, edge)
      }
    }
    return [...edges.values()]
  }

  private evict(): void {
    while (this.spanCount > this.maxSpans) {
      const oldest = this.traces.keys().next()
      if (oldest.done) return
      const trace = this.traces.get(oldest.value)!
      this.traces.delete(oldest.value)
      this.spanCount -= trace.spans.length
      if (trace.requestId) this.byRequestId.delete(trace.requestId)
    }
  }
}

function summarise(traceId: string, trace: Trace): TraceSummary {
  const ids = new Set(trace.spans.map((s) => s.spanId))
  let root: StoredSpan | undefined
  let start = Number.POSITIVE_INFINITY
  let end = 0
  let errors = 0
  const services = new Set<string>()
  for (const span of trace.spans) {
    if (!root && (!span.parentSpanId || !ids.has(span.parentSpanId))) root = span
    start = Math.min(start, span.startMs)
    end = Math.max(end, span.startMs + span.durationMs)
    if (span.status === 2) errors += 1
    services.add(span.service)
  }
  const first = root ?? trace.spans[0]!
  return {
    traceId,
    name: first.name,
    rootService: first.service,
    services: [...services].sort(),
    spans: trace.spans.length,
    errors,
    startMs: start,
    durationMs: Math.round((end - start) * 1000) / 1000,
    requestId: trace.requestId,
  }
}
