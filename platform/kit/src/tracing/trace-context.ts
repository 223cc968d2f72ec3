import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api'

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as the kit
 * carries it: a `traceparent` header on HTTP requests, and the same string
 * in an event envelope's `traceparent` field. Parsing and formatting are
 * done here by hand: they run on every request and message, and the header
 * has one fixed shape.
 */
export const TRACEPARENT_HEADER = 'traceparent'
/** Sent back by the gateway so a caller can find the trace of its request. */
export const TRACERESPONSE_HEADER = 'traceresponse'

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/** The span context a `traceparent` names, or undefined when it is missing or malformed. */
export function parseTraceparent(value: string | string[] | undefined): SpanContext | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text || text.length < 55) return undefined
  const match = TRACEPARENT.exec(text.trim())
  if (!match) return undefined
  const [, version, traceId, spanId, flags, rest] = match
  // Version ff is invalid; version 00 has nothing after the flags.
  if (version === 'ff' || (version === '00' && rest)) return undefined
  const spanContext: SpanContext = {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: Number.parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  }
  return isSpanContextValid(spanContext) ? spanContext : undefined
}

export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${spanContext.traceFlags & TraceFlags.SAMPLED}`
}

/** A context whose parent is the remote span `traceparent` names; the root context when it names none. */
export function contextFromTraceparent(value: string | string[] | undefined): Context {
  const parent = parseTraceparent(value)
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT
}

/** The `traceparent` of a span, when it is a real one (not the no-op span of disabled tracing). */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!span) return undefined
  const spanContext = span.spanContext()
  return isSpanContextValid(spanContext) ? formatTraceparent(spanContext) : undefined
}

/** The `traceparent` of the span active here (a request's, a message handler's), if any. */
export function currentTraceparent(): string | undefined {
  return traceparentOf(trace.getSpan(context.active()))
}

const NO_FIELDS = Object.freeze({}) as Record<string, string>

/** `trace_id` and `span_id` of a span, for a log line. */
export function traceFields(span: Span | undefined): Record<string, string> {
  if (!span) return NO_FIELDS
  const { traceId, spanId } = span.spanContext()
  if (!isSpanContextValid(span.spanContext())) return NO_FIELDS
  return { trace_id: traceId, span_id: spanId }
}

/** pino mixin: every line written while a span is active carries its ids. A fresh object each time: pino merges into it. */
export function activeTraceFields(): Record<string, string> {
  const span = trace.getSpan(context.active())
  if (!span) return {}
  const spanContext = span.spanContext()
  return isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {}
}
