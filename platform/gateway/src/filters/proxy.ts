import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { Writable } from 'node:stream'
import {
  AttemptFailure,
  CallAbort,
  connectionFailure,
  currentTraceparent,
  DEADLINE_HEADER,
  type Endpoint,
  REQUEST_ID_HEADER,
  TRACEPARENT_HEADER,
} from '@trellis/kit/platform'
import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel'
import { GatewayErrors } from '../errors.js'
import type { Upstream, Upstreams } from '../upstreams.js'
import type { GatewayContext, GatewayFilter } from './filter.js'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
])

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

export interface ProxyDeps {
  upstreams: Upstreams
}

/**
 * ROUTE: forwards the request to one instance of the matched service,
 * streaming both bodies, with the kit's call machinery: round-robin over
 * instances that outlier detection has not ejected, the service's circuit
 * breaker (an open circuit answers 503 at once), the route's timeout passed
 * on as the upstream's deadline, and retries on another instance for
 * requests without a body: after a refused connection for any method,
 * after a broken connection or a 503 for idempotent ones, within the
 * service's retry budget. A 5xx answer that cannot be retried is passed on
 * as the upstream sent it.
 */
export function proxy(deps: ProxyDeps): GatewayFilter {
  return {
    name: 'proxy',
    stage: 'route',
    async run(context) {
      const route = context.route
      if (!route) return
      const { exposed } = route
      const upstream = deps.upstreams.get(exposed)
      if (upstream.endpoints.size === 0) throw GatewayErrors.noInstance(exposed.service)
      const method = context.req.method ?? 'GET'
      const replayable = !requestHasBody(context.req)
      const idempotent = replayable && IDEMPOTENT.has(method)
      const retries = replayable ? (exposed.retries ?? 1) : 0
      upstream.budget.deposit()
      // All attempts of one request, retries on other instances included:
      // the breaker counts requests that failed, not instances that did.
      const attempts = async (): Promise<AttemptFailure | undefined> => {
        let avoid: Endpoint | undefined
        for (let attempt = 0; ; attempt++) {
          const endpoint = upstream.endpoints.pick(avoid)!
          const mayRetry = (failure: AttemptFailure) =>
            attempt < retries &&
            !context.res.headersSent &&
            failure.retryable(idempotent) &&
            upstream.endpoints.size > 1
          try {
            return await forward(context, endpoint, upstream, mayRetry)
          } catch (error) {
            if (!(error instanceof AttemptFailure) || !mayRetry(error) || !upstream.budget.tryWithdraw())
              throw error
            upstream.metrics.retries.labels(exposed.service).inc()
            context.log.warn(
              { instance: endpoint.id, reason: error.reason, request_id: context.requestId },
              'upstream failed; trying another instance',
            )
            avoid = endpoint
          }
        }
      }
      let outcome: AttemptFailure | undefined
      try {
        outcome = await (upstream.breaker ? upstream.breaker.execute(attempts) : attempts())
      } catch (error) {
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError)
          throw GatewayErrors.circuitOpen(exposed.service, upstream.halfOpenAfterMs)
        if (error instanceof AttemptFailure) throw toGatewayError(error, exposed.service, exposed.timeoutMs)
        throw error
      }
      if (outcome)
        context.log.warn(
          { instance: context.upstream, status: outcome.status, request_id: context.requestId },
          'upstream answered with a server error',
        )
      context.handled = true
    },
  }
}

/**
 * One attempt on one instance. Resolves undefined when a 2xx-4xx answer was
 * streamed, or with the failure when a 5xx answer was streamed (it could not
 * be retried); throws the failure when nothing reached the client.
 */
async function forward(
  context: GatewayContext,
  endpoint: Endpoint,
  upstream: Upstream,
  mayRetry: (failure: AttemptFailure) => boolean,
): Promise<AttemptFailure | undefined> {
  const route = context.route!
  const { req, res } = context
  const service = upstream.service
  context.upstream = endpoint.id
  // A plain EventEmitter, not an AbortController: undici takes either, and an
  // AbortSignal costs about 30 µs of CPU per request (see the kit's CallAbort).
  const abort = new CallAbort()
  const onClose = () => {
    if (!res.writableFinished) abort.abort()
  }
  res.once('close', onClose)
  let answered: AttemptFailure | undefined
  let withheld: AttemptFailure | undefined
  endpoint.outstanding += 1
  try {
    await endpoint.pool.stream(
      {
        path: route.upstreamPath + context.query,
        method: (req.method ?? 'GET') as 'GET',
        headers: upstreamHeaders(context) as Record<string, string | string[]>,
        body: requestHasBody(req) ? req : null,
        headersTimeout: route.exposed.timeoutMs,
        bodyTimeout: route.exposed.timeoutMs,
        signal: abort.signal,
      },
      ({ statusCode, headers }) => {
        if (statusCode >= 500) {
          const failure = new AttemptFailure('status', String(statusCode), statusCode)
          // Retry on another instance: this answer is read and dropped.
          if (mayRetry(failure)) {
            withheld = failure
            return new Writable({ write: (_chunk, _encoding, done) => done() })
          }
          answered = failure
        }
        context.writeHead({ status: statusCode, headers: withoutHopByHop(headers) })
        return res
      },
    )
  } catch (error) {
    const failure = connectionFailure(error)
    if (!failure) throw error
    recordFailure(upstream, endpoint, failure)
    throw failure
  } finally {
    endpoint.outstanding -= 1
    res.removeListener('close', onClose)
  }
  const failure = withheld ?? answered
  if (failure) {
    recordFailure(upstream, endpoint, failure)
    if (withheld) throw withheld
    return answered
  }
  upstream.endpoints.outliers.success(endpoint)
  upstream.metrics.attempts.labels(service, endpoint.id, 'ok').inc()
  return undefined
}

function recordFailure(upstream: Upstream, endpoint: Endpoint, _failure: AttemptFailure): void {
  upstream.endpoints.outliers.failure(endpoint)
  upstream.metrics.attempts.labels(upstream.service, endpoint.id, 'failed').inc()
}

function upstreamHeaders(context: GatewayContext): OutgoingHttpHeaders {
  const { req } = context
  const headers = withoutHopByHop(req.headers)
  const client = req.socket.remoteAddress ?? ''
  const prior = req.headers['x-forwarded-for']
  headers['x-forwarded-for'] = prior ? `${prior}, ${client}` : client
  headers['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http'
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host
  headers['x-forwarded-prefix'] = context.route!.exposed.prefix
  headers[REQUEST_ID_HEADER] = context.requestId
  // The upstream's span is a child of this request's (the caller's own traceparent stays at the edge).
  const traceparent = currentTraceparent()
  if (traceparent) headers[TRACEPARENT_HEADER] = traceparent
  else delete headers[TRACEPARENT_HEADER]
  // The edge starts the deadline: the upstream has as long as the gateway
  // waits, or less if the client asked for less.
  const timeoutMs = context.route!.exposed.timeoutMs
  const asked = Number(req.headers[DEADLINE_HEADER])
  headers[DEADLINE_HEADER] = String(
    Number.isInteger(asked) && asked > 0 && asked < timeoutMs ? asked : timeoutMs,
  )
  return headers
}

function withoutHopByHop(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  const connection = headers['connection']
  const named =
    typeof connection === 'string'
      ? connection
          .toLowerCase()
          .split(',')
          .map((s) => s.trim())
      : []
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue
    out[name] = value
  }
  return out
}

function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function toGatewayError(failure: AttemptFailure, service: string, timeoutMs: number): unknown {
  if (failure.kind === 'timeout') return GatewayErrors.upstreamTimeout(service, timeoutMs)
  return GatewayErrors.upstreamFailed(service, failure.reason)
}
