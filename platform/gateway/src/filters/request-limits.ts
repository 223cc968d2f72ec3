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
      if (raw.length / 2 > options.maxHeaders) throw GatewayErrors.tooManyHeaders(options.maxHeaders)
      const seen = new Set<string>()
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!.toLowerCase()
        if (!SINGLETONS.has(name)) continue
        if (seen.has(name)) throw GatewayErrors.headerDuplicated(name)
        seen.add(name)
      }
      const length = context.req.headers['content-length']
      if (length !== undefined && Number(length) > options.maxBodyBytes)
        throw GatewayErrors.bodyTooLarge(options.maxBodyBytes)
    },
  }
}
