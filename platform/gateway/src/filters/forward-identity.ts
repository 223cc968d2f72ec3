import { AssertionSigner, IDENTITY_HEADER, type Logger } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/**
 * PRE, last: the verified identity goes upstream as a signed assertion
 * addressed to the one service the request is for; the client's own
 * credentials do not (a service never needs them, and fewer copies of a
 * bearer token are fewer to leak).
 */
export function forwardIdentity(signingKey: string, log: Logger | undefined): GatewayFilter {
  let signer: Promise<AssertionSigner | undefined> | undefined
  let ready: AssertionSigner | undefined
  const load = () => {
    signer ??= signingKey
      ? AssertionSigner.fromJwk(signingKey).then((s) => (ready = s))
      : Promise.resolve(undefined).then(() => {
          log?.warn(
            'TRELLIS_EDGE_SIGNING_KEY is not set: services receive no identity; protected routes answer 401',
          )
          return undefined
        })
    return signer
  }
  if (signingKey) void load().catch(() => undefined)
  return {
    name: 'forward-identity',
    stage: 'pre',
    run(context) {
      const headers = context.req.headers
      if (headers.authorization !== undefined) delete headers.authorization
      if (headers['x-api-key'] !== undefined) delete headers['x-api-key']
      const { identity, route } = context
      // Anonymous requests stay synchronous, and so do callers whose assertion is fresh.
      if (!identity || !route) return
      const fresh = ready?.cached(identity, route.exposed.service)
      if (fresh) {
        headers[IDENTITY_HEADER] = fresh
        return
      }
      return load().then(async (active) => {
        if (active) headers[IDENTITY_HEADER] = await active.sign(identity, route.exposed.service)
      })
    },
  }
}
