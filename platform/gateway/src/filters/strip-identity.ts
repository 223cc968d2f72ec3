import { DEADLINE_HEADER, RESERVED_HEADER_PREFIX } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/**
 * Platform headers a client may send: a shorter deadline (the proxy caps it
 * at the route's timeout, so it can only ask for less).
 */
const CLIENT_SETTABLE = new Set([DEADLINE_HEADER])

/**
 * PRE: removes every header a client sends under the platform's reserved
 * prefix (`x-trellis-`), the identity assertion among them, so that only
 * the gateway's own assertion ever reaches a service.
 */
export const stripIdentity: GatewayFilter = {
  name: 'strip-identity',
  stage: 'pre',
  run(context) {
    const headers = context.req.headers
    for (const name in headers) {
      if (name.startsWith(RESERVED_HEADER_PREFIX) && !CLIENT_SETTABLE.has(name)) delete headers[name]
    }
  },
}
