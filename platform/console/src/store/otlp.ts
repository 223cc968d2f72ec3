import type { StoredSpan } from './span-store.js'

/** The parts of an OTLP/HTTP JSON ExportTraceServiceRequest the console reads. */
interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  doubleValue?: number
  boolValue?: boolean
}
interface OtlpAttribute {
  key: string
  value?: OtlpValue
}
type OtlpTime = string | number | { low: number; high: number }
interface OtlpSpan {
  traceId?: string
  spanId?: string
  parentSpanId?: string
  name?: string
  kind?: number
  startTimeUnixNano?: OtlpTime
  endTimeUnixNano?: OtlpTime
  attributes?: OtlpAttribute[]
  status?: { code?: number; message?: string }
}
export interface OtlpTraceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] }
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>
  }>
}

const HEX_ID = /^[0-9a-f]+$/

/** Spans of an OTLP/HTTP JSON request (ids hex-encoded, as the JSON mapping says); malformed spans are skipped. */
export function spansFromOtlp(body: OtlpTraceRequest): { spans: StoredSpan[]; rejected: number } {
  const spans: StoredSpan[] = []
  let rejected = 0
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes)
    const service = String(resource['service.name'] ?? 'unknown')
    const instance = String(resource['service.instance.id'] ?? service)
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const traceId = span.traceId?.toLowerCase()
        const spanId = span.spanId?.toLowerCase()
        if (!traceId || !spanId || traceId.length !== 32 || !HEX_ID.test(traceId) || !HEX_ID.test(spanId)) {
          rejected += 1
          continue
        }
        const start = millis(span.startTimeUnixNano)
        const end = millis(span.endTimeUnixNano)
        spans.push({
          traceId,
          spanId,
          parentSpanId: span.parentSpanId ? span.parentSpanId.toLowerCase() : undefined,
          name: String(span.name ?? '').slice(0, 200),
          kind: span.kind ?? 0,
          service,
          instance,
          startMs: start,
          durationMs: Math.max(0, Math.round((end - start) * 1000) / 1000),
          status: span.status?.code ?? 0,
          statusMessage: span.status?.message || undefined,
          attributes: attributes(span.attributes),
        })
      }
    }
  }
  return { spans, rejected }
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const { key, value } of list ?? []) {
    if (!value) continue
    if (value.stringValue !== undefined) out[key] = value.stringValue.slice(0, 1_000)
    else if (value.intValue !== undefined) out[key] = Number(value.intValue)
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue
    else if (value.boolValue !== undefined) out[key] = value.boolValue
  }
  return out
}

/** Nanoseconds since the epoch as milliseconds, exact to the microsecond (a double cannot hold the nanoseconds). */
function millis(time: OtlpTime | undefined): number {
  if (time === undefined) return 0
  if (typeof time === 'number') return time / 1e6
  try {
    const nanos =
      typeof time === 'object' ? (BigInt(time.high >>> 0) << 32n) + BigInt(time.low >>> 0) : BigInt(time)
    return Number(nanos / 1000n) / 1000
  } catch {
    return 0
  }
}
