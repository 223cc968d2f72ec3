import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { AuthPolicy, Identity, Logger } from '@trellis/kit/platform'
import type { RouteMatch } from '../route-table.js'

/**
 * The gateway's filter chain, in Zuul's four stages:
 * PRE filters read and may reject the request; ROUTE filters forward it;
 * POST filters shape the response head (status and headers) just before it
 * is written, for forwarded and gateway-made responses alike; ERROR filters
 * turn a failure of any stage into a response.
 */
export type FilterStage = 'pre' | 'route' | 'post' | 'error'

export interface ResponseHead {
  status: number
  headers: OutgoingHttpHeaders
}

export interface GatewayContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** performance.now() when the request arrived. */
  readonly startedAt: number
  readonly log: Logger
  requestId: string
  /** The path without the query string, exactly as received. */
  path: string
  /** The query string with its leading '?', or ''. */
  query: string
  route?: RouteMatch
  /** The matched upstream route's policy, from the service's own declaration (undefined: not known yet). */
  policy?: AuthPolicy
  /** The caller, once `authenticate` verified a credential. */
  identity?: Identity
  /** Why the credential the caller sent was refused; `authorize` answers with it. */
  authError?: unknown
  /** Id of the instance the request went to, when it was forwarded. */
  upstream?: string
  /** The response head while POST filters run; they may change it. */
  response?: ResponseHead
  /** Set once a filter has produced the response; the chain stops. */
  handled: boolean
  /** Runs the POST filters on a head, then writes it. Every response goes through here. */
  writeHead(head: ResponseHead): void
}

export interface GatewayFilter {
  name: string
  stage: FilterStage
  run(context: GatewayContext, error?: unknown): void | Promise<void>
}
