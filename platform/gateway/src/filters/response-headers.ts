import { REQUEST_ID_HEADER } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/** POST: the correlation id and the gateway's time to first byte on every response. */
export const responseHeaders: GatewayFilter = {
  name: 'response-headers',
  stage: 'post',
  run(context) {
    const head = context.response
    if (!head) return
    head.headers[REQUEST_ID_HEADER] = context.requestId
    const ms = (performance.now() - context.startedAt).toFixed(1)
    const upstream = head.headers['server-timing']
    head.headers['server-timing'] = upstream ? `gateway;dur=${ms}, ${upstream}` : `gateway;dur=${ms}`
  },
}
