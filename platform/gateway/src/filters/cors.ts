import { GatewayErrors } from '../errors.js'
import type { GatewayFilter } from './filter.js'

const ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-api-key', 'x-request-id']
const EXPOSED_HEADERS = 'x-request-id, retry-after, idempotent-replayed, server-timing'
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'

/**
 * CORS for browser clients on other origins, allowed by exact origin
 * (`TRELLIS_GATEWAY_CORS_ORIGINS`; none by default). PRE answers
 * preflights itself; `cors-headers` (POST) marks real responses. Tokens
 * travel in headers, not cookies, so credentials mode is never allowed.
 */
export function cors(origins: string[]): GatewayFilter {
  const allowed = new Set(origins)
  return {
    name: 'cors',
    stage: 'pre',
    run(context) {
      const { req } = context
      const origin = req.headers.origin
      if (req.method !== 'OPTIONS' || !origin || !req.headers['access-control-request-method']) return
      if (!allowed.has(origin)) throw GatewayErrors.corsRefused(origin.slice(0, 200))
      const requested = String(req.headers['access-control-request-headers'] ?? '')
        .toLowerCase()
        .split(',')
        .map((h) => h.trim())
        .filter((h) => ALLOWED_HEADERS.includes(h))
      context.writeHead({
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': METHODS,
          'access-control-allow-headers': requested.join(', '),
          'access-control-max-age': '600',
          vary: 'origin, access-control-request-method, access-control-request-headers',
          'content-length': '0',
        },
      })
      context.res.end()
      context.handled = true
    },
  }
}

/** POST: a response to an allowed origin says so; any other origin gets nothing a browser would honour. */
export function corsHeaders(origins: string[]): GatewayFilter {
  const allowed = new Set(origins)
  return {
    name: 'cors-headers',
    stage: 'post',
    run(context) {
      const head = context.response
      const origin = context.req.headers.origin
      if (!head || !origin) return
      // Whatever the upstream said about CORS, the gateway decides.
      delete head.headers['access-control-allow-origin']
      delete head.headers['access-control-allow-credentials']
      if (!allowed.has(origin)) return
      head.headers['access-control-allow-origin'] = origin
      head.headers['access-control-expose-headers'] = EXPOSED_HEADERS
      head.headers['vary'] = head.headers['vary'] ? `${head.headers['vary']}, origin` : 'origin'
    },
  }
}
