import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { contextFromTraceparent, TRACEPARENT_HEADER } from './trace-context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span while tracing is on. */
    span: Span | undefined
    /** The context its handler runs in (the server span active), while tracing is on. */
    traceContext: Context | undefined
  }
}

/** The attribute that holds the correlation id (X-Request-Id), so a trace can be found by it. */
export const REQUEST_ID_ATTRIBUTE = 'trellis.request_id'

/**
 * A SERVER span per request, child of the caller's `traceparent` when it
 * sent one: opened when the request arrives, named by method and route
 * template, ended when the response is sent, marked as an error on a 5xx.
 * Paths matching `quiet` (probes, metrics, blocking watches) are not traced:
 * they are the platform's chatter, not anybody's request.
 */
export function installServerSpans(app: FastifyInstance, tracer: Tracer, quiet: RegExp): void {
  app.decorateRequest('span', undefined)
  app.decorateRequest('traceContext', undefined)
  app.addHook('onRequest', (request, _reply, done) => {
    if (quiet.test(request.url)) return done()
    const parent = contextFromTraceparent(request.headers[TRACEPARENT_HEADER])
    const route = request.routeOptions.url
    const span = tracer.startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.length > 200 ? request.url.slice(0, 200) : request.url,
          ...(route ? { 'http.route': route } : {}),
          [REQUEST_ID_ATTRIBUTE]: request.id,
        },
      },
      parent,
    )
    request.span = span
    request.traceContext = trace.setSpan(parent, span)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const span = request.span
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode)
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    done()
  })
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown

/** Runs a route's handler with its request's span active, so the spans and log lines it causes belong to the request's trace. */
export function inRequestContext(handler: Handler): Handler {
  return (request, reply) => {
    const active = request.traceContext
    return active ? context.with(active, handler, undefined, request, reply) : handler(request, reply)
  }
}
