// The console's trace shapes, shared by its server (the store, the JSON API)
// and its web app (which reads them from the API): no imports, types only.

/** One span as the console keeps it (from OTLP), times in milliseconds since the epoch. */
export interface StoredSpan {
  traceId: string
  spanId: string
  parentSpanId: string | undefined
  name: string
  kind: number
  service: string
  instance: string
  startMs: number
  durationMs: number
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number
  statusMessage: string | undefined
  attributes: Record<string, string | number | boolean>
}

export interface TraceSummary {
  traceId: string
  /** The root span's name (the earliest span when the root is not here). */
  name: string
  rootService: string
  services: string[]
  spans: number
  errors: number
  startMs: number
  durationMs: number
  requestId: string | undefined
}
