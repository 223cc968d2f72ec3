import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { type InstanceRecord, REQUEST_ID_HEADER, type ServiceDirectory } from '@trellis/kit/platform'
import type { RoundRobinBalancer } from '../balancer.js'
import { GatewayErrors } from '../errors.js'
import type { Upstreams } from '../upstreams.js'
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

export interface ProxyDeps {
  directory: ServiceDirectory
  balancer: RoundRobinBalancer
  upstreams: Upstreams
}

/**
 * ROUTE: forwards the request to one instance of the matched service,
 * streaming both bodies. A refused connection (the instance died since the
 * registry last spoke) is retried once on another instance when the request
 * has no body, since nothing reached the dead one.
 */
export function proxy(deps: ProxyDeps): GatewayFilter {
  return {
    name: 'proxy',
    stage: 'route',
    async run(context) {
      const route = context.route
      if (!route) return
      const service = route.exposed.service
      const instances = deps.directory.instances(service)
      const first = deps.balancer.pick(service, instances)
      if (!first) throw GatewayErrors.noInstance(service)
      const hasBody = requestHasBody(context.req)
      try {
        await forward(context, first, deps, hasBody)
      } catch (error) {
        if (isRefused(error) && !hasBody && !context.res.headersSent) {
          const second = deps.balancer.pick(service, instances, first.id)
          if (second) {
            context.log.warn(
              { instance: first.id, request_id: context.requestId },
              'upstream refused the connection; trying another instance',
            )
            try {
              await forward(context, second, deps, hasBody)
              return
            } catch (retryError) {
              throw toGatewayError(retryError, service, route.exposed.timeoutMs)
            }
          }
        }
        throw toGatewayError(error, service, route.exposed.timeoutMs)
      }
    },
  }
}

async function forward(
  context: GatewayContext,
  instance: InstanceRecord,
  deps: ProxyDeps,
  hasBody: boolean,
): Promise<void> {
  const route = context.route!
  const { req, res } = context
  context.upstream = instance.id
  const abort = new AbortController()
  const onClose = () => {
    if (!res.writableFinished) abort.abort()
  }
  res.once('close', onClose)
  try {
    await deps.upstreams.pool(instance.url).stream(
      {
        path: route.upstreamPath + context.query,
        method: (req.method ?? 'GET') as 'GET',
        headers: upstreamHeaders(context) as Record<string, string | string[]>,
        body: hasBody ? req : null,
        headersTimeout: route.exposed.timeoutMs,
        bodyTimeout: route.exposed.timeoutMs,
        signal: abort.signal,
      },
      ({ statusCode, headers }) => {
        context.writeHead({ status: statusCode, headers: withoutHopByHop(headers) })
        return res
      },
    )
    context.handled = true
  } finally {
    res.removeListener('close', onClose)
  }
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

function isRefused(error: unknown): boolean {
  return (error as { code?: string }).code === 'ECONNREFUSED'
}

function toGatewayError(error: unknown, service: string, timeoutMs: number): unknown {
  const code = (error as { code?: string }).code
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return GatewayErrors.upstreamTimeout(service, timeoutMs)
    case 'UND_ERR_ABORTED':
      return error
    default:
      return GatewayErrors.upstreamFailed(service, code ?? (error as Error).message ?? 'unknown error')
  }
}
