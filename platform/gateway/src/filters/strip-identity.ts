import { RESERVED_HEADER_PREFIX } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

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
      if (name.startsWith(RESERVED_HEADER_PREFIX)) delete headers[name]
    }
  },
}
