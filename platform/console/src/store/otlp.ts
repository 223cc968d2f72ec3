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
        const start = nanos(span.startTimeUnixNano)
        const end = nanos(span.endTimeUnixNano)
        spans.push({
          traceId,
          spanId,
          parentSpanId: span.parentSpanId ? span.parentSpanId.toLowerCase() : undefined,
          name: String(span.name ?? '').slice(0, 200),
          kind: span.kind ?? 0,
          service,
          instance,
          startMs: start / 1e6,
          durationMs: Math.max(0, (end - start) / 1e6),
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

function nanos(time: OtlpTime | undefined): number {
  if (time === undefined) return 0
  if (typeof time === 'object') return time.high * 4_294_967_296 + (time.low >>> 0)
  return Number(time)
}
