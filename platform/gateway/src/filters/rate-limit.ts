import { GatewayErrors } from '../errors.js'
import { type BucketLimit, TokenBuckets } from '../rate/token-bucket.js'
import type { GatewayFilter } from './filter.js'

/**
 * PRE, before `authenticate`: a token bucket per client IP (the socket's
 * address: forwarded-for headers are the client's word, not evidence).
 * It bounds what one address can cost the gateway, credential checks included.
 */
export function rateLimitIp(limit: BucketLimit): GatewayFilter {
  const buckets = new TokenBuckets(limit)
  return {
    name: 'rate-limit-ip',
    stage: 'pre',
    run(context) {
      if (limit.ratePerS <= 0) return
      const wait = buckets.take(context.req.socket.remoteAddress ?? 'unknown')
      if (wait > 0) throw GatewayErrors.rateLimited('address', wait).with({ retryAfter: wait })
    },
  }
}

/** PRE, after `authenticate`: a token bucket per signed-in user or API key, wherever its requests come from. */
export function rateLimitClient(limit: BucketLimit): GatewayFilter {
  const buckets = new TokenBuckets(limit)
  return {
    name: 'rate-limit-client',
    stage: 'pre',
    run(context) {
      const identity = context.identity
      if (!identity || limit.ratePerS <= 0) return
      const key = identity.keyId ? `key:${identity.keyId}` : `user:${identity.subject}`
      const wait = buckets.take(key)
      if (wait > 0) throw GatewayErrors.rateLimited('client', wait).with({ retryAfter: wait })
    },
  }
}
