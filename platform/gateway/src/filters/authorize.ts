import { AuthErrors, decide, describePolicy } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/**
 * PRE: applies the route's policy, as the service declared it, before the
 * request leaves the gateway. A refused credential is a 401 on any route,
 * public ones included: a client with a bad token should learn it now.
 */
export const authorize: GatewayFilter = {
  name: 'authorize',
  stage: 'pre',
  run(context) {
    if (context.authError) throw context.authError
    // No policy known yet (no instance registered): the ROUTE stage answers 503.
    if (!context.route || context.policy === undefined) return
    const decision = decide(context.policy, context.identity)
    if (decision === 'unauthenticated') throw AuthErrors.required()
    if (decision === 'forbidden') throw AuthErrors.forbidden(describePolicy(context.policy))
  },
}
