import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { context as otelContext, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import {
  contextFromTraceparent,
  drainServer,
  type FastHistogram,
  formatTraceparent,
  type Logger,
  PROBLEM_CONTENT_TYPE,
  problemFromError,
  REQUEST_ID_ATTRIBUTE,
  TRACEPARENT_HEADER,
  TRACERESPONSE_HEADER,
  trackInFlight,
} from '@trellis/kit/platform'
import { GatewayErrors } from './errors.js'
import type { GatewayContext, GatewayFilter, ResponseHead } from './filters/filter.js'

export interface GatewayOptions {
  log: Logger
  /** The chain, in order; each filter runs in its own stage. */
  filters: GatewayFilter[]
  /** One info line per request (method, path, status, time, service, instance); read per request, so it can change live. */
  accessLog: boolean | (() => boolean)
  /** A SERVER span per request (health probes aside), whose context goes upstream; none without. */
  tracer?: Tracer | undefined
  /** Rate, errors and duration by method, route prefix and status (probes and /metrics aside). */
  requestDurations?: FastHistogram | undefined
}

/** The gateway's own probes and scrapes: not traced, not counted as traffic, logged at debug. */
const QUIET = /^\/(health\/|metrics(\?|$))/

const DEFAULTS = {
  // Clients (browsers, load balancers) reuse connections; idle ones are closed after this.
  keepAliveTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  maxHeaderSize: 16 * 1024,
}

/**
 * The edge server: a plain Node HTTP server running the filter chain, with
 * no framework between the socket and the upstream stream (the proxying path
 * is the gateway's whole cost).
 */
export interface Gateway {
  server: Server
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  /** Stops accepting, tells clients to close their connections, waits for in-flight requests (bounded). */
  drain(timeoutMs: number): Promise<void>
}

export function createGateway(options: GatewayOptions): Gateway {
  const { log } = options
  const pre = options.filters.filter((f) => f.stage === 'pre')
  const route = options.filters.filter((f) => f.stage === 'route')
  const post = options.filters.filter((f) => f.stage === 'post')
  const onError = options.filters.filter((f) => f.stage === 'error')
  let draining = false

  const { tracer, requestDurations } = options
  const traced = (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!tracer || QUIET.test(req.url ?? '/')) return handle(req, res)
    const parent = contextFromTraceparent(req.headers[TRACEPARENT_HEADER])
    const span = tracer.startSpan(
      `${req.method} gateway`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET' } },
      parent,
    )
    // The caller can find its trace from the response: W3C's traceresponse header.
    res.setHeader(TRACERESPONSE_HEADER, formatTraceparent(span.spanContext()))
    return otelContext.with(trace.setSpan(parent, span), handle, undefined, req, res).finally(() => {
      span.setAttribute('http.response.status_code', res.statusCode)
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    const context: GatewayContext = {
      req,
      res,
      startedAt: performance.now(),
      log,
      requestId: '',
      path: q === -1 ? rawUrl : rawUrl.slice(0, q),
      query: q === -1 ? '' : rawUrl.slice(q),
      handled: false,
      writeHead(head: ResponseHead) {
        context.response = head
        for (const filter of post) filter.run(context)
        if (draining) head.headers['connection'] = 'close'
        res.writeHead(head.status, head.headers)
      },
    }
    try {
      await runStage(pre, context)
      if (!context.handled) await runStage(route, context)
      if (!context.handled) throw GatewayErrors.routeNotFound(req.method ?? 'GET', context.path.slice(0, 200))
    } catch (error) {
      if ((error as { code?: string }).code === 'UND_ERR_ABORTED' || res.destroyed) {
        log.debug({ request_id: context.requestId }, 'client went away')
        res.destroy()
      } else {
        for (const filter of onError) {
          await filter.run(context, error)
          if (context.handled) break
        }
      }
    }
    if (tracer) nameSpan(context)
    if (requestDurations && !QUIET.test(context.path)) {
      const method = req.method ?? 'GET'
      const route = context.route?.exposed.prefix ?? 'unmatched'
      const status = res.statusCode
      requestDurations
        .at(`${method} ${status} ${route}`, [method, route, String(status)])
        .observe((performance.now() - context.startedAt) / 1000)
    }
    if (typeof options.accessLog === 'function' ? options.accessLog() : options.accessLog) {
      const quiet = QUIET.test(context.path)
      log[quiet ? 'debug' : 'info'](
        {
          request_id: context.requestId,
          method: req.method,
          url: rawUrl.length > 300 ? `${rawUrl.slice(0, 300)}…` : rawUrl,
          status: res.statusCode,
          ms: Math.round((performance.now() - context.startedAt) * 10) / 10,
          service: context.route?.exposed.service,
          upstream: context.upstream,
        },
        'request',
      )
    }
  }

  const server = createServer(
    {
      keepAliveTimeout: DEFAULTS.keepAliveTimeoutMs,
      headersTimeout: DEFAULTS.headersTimeoutMs,
      maxHeaderSize: DEFAULTS.maxHeaderSize,
    },
    (req, res) => void traced(req, res),
  )
  trackInFlight(server)
  // A malformed request never reaches the chain; answer it as problem+json too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy()
    const problem = problemFromError(
      error.code === 'HPE_HEADER_OVERFLOW'
        ? GatewayErrors.headersTooLarge(DEFAULTS.maxHeaderSize)
        : GatewayErrors.requestMalformed(error.code ?? 'parse error'),
    )
    const body = JSON.stringify(problem)
    const reason = problem.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'
    socket.end(
      `HTTP/1.1 ${problem.status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  })
  return {
    server,
    handle: traced,
    drain: (timeoutMs) => {
      draining = true
      return drainServer(server, timeoutMs, log)
    },
  }
}

/** Names the request's span by the route it took, and records its correlation id. */
function nameSpan(context: GatewayContext): void {
  const span = trace.getSpan(otelContext.active())
  if (!span) return
  span.setAttribute(REQUEST_ID_ATTRIBUTE, context.requestId)
  const route = context.route
  if (route) {
    span.updateName(`${context.req.method} ${route.exposed.prefix}`)
    span.setAttribute('http.route', route.exposed.prefix)
    span.setAttribute('peer.service', route.exposed.service)
    if (context.upstream) span.setAttribute('trellis.upstream', context.upstream)
  }
}

async function runStage(filters: GatewayFilter[], context: GatewayContext): Promise<void> {
  for (const filter of filters) {
    // Most filters are synchronous: awaiting only promises saves a microtask turn per filter.
    const pending = filter.run(context)
    if (pending) await pending
    if (context.handled) return
  }
}
