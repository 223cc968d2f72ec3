import type { GatewayFilter } from './filter.js'

/** Response headers that say what the upstream is built with; nobody outside needs to know. */
const REVEALING = ['x-powered-by', 'server']

/**
 * POST: headers that make a JSON API safe to open in a browser by mistake
 * (no sniffing, no framing, no referrer, no active content), and no caching
 * of a response made for one signed-in caller unless the service said so.
 */
export const securityHeaders: GatewayFilter = {
  name: 'security-headers',
  stage: 'post',
  run(context) {
    const head = context.response
    if (!head) return
    const headers = head.headers
    for (const name of REVEALING) if (headers[name] !== undefined) delete headers[name]
    headers['x-content-type-options'] = 'nosniff'
    headers['x-frame-options'] = 'DENY'
    headers['referrer-policy'] = 'no-referrer'
    headers['content-security-policy'] ??= "default-src 'none'; frame-ancestors 'none'"
    headers['cross-origin-opener-policy'] = 'same-origin'
    if (context.identity && headers['cache-control'] === undefined) headers['cache-control'] = 'no-store'
  },
}
