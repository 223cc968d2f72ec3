import { GatewayErrors } from '../errors.js'
import type { GatewayFilter } from './filter.js'

/**
 * Headers that mean one thing: a second copy is either a mistake or an
 * attempt to make the gateway and the service read different values
 * (request smuggling, credential confusion).
 */
const SINGLETONS = new Set([
  'authorization',
  'x-api-key',
  'content-length',
  'content-type',
  'host',
  'transfer-encoding',
  'x-request-id',
  'idempotency-key',
  'origin',
])

/** PRE: header count, duplicated singleton headers, and the declared body size, before anything else reads them. */
export function requestLimits(options: { maxBodyBytes: number; maxHeaders: number }): GatewayFilter {
  return {
    name: 'request-limits',
    stage: 'pre',
    run(context) {
      const raw = context.req.rawHeaders
      const count = raw.length / 2
      if (count > options.maxHeaders) throw GatewayErrors.tooManyHeaders(options.maxHeaders)
      // Fast path: as many distinct names as headers means nothing was sent twice.
      let distinct = 0
      for (const _ in context.req.headers) distinct++
      if (distinct < count) {
        const seen = new Set<string>()
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i]!.toLowerCase()
          if (!SINGLETONS.has(name)) continue
          if (seen.has(name)) throw GatewayErrors.headerDuplicated(name)
          seen.add(name)
        }
      }
      const length = context.req.headers['content-length']
      if (length !== undefined && Number(length) > options.maxBodyBytes)
        throw GatewayErrors.bodyTooLarge(options.maxBodyBytes)
    },
  }
}
