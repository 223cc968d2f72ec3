import { REQUEST_ID_HEADER, requestIdFrom } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/** Takes a well-formed X-Request-Id from the client or makes one; it travels upstream and comes back in the response. */
export const correlationId: GatewayFilter = {
  name: 'correlation-id',
  stage: 'pre',
  run(context) {
    context.requestId = requestIdFrom(context.req.headers[REQUEST_ID_HEADER])
  },
}
