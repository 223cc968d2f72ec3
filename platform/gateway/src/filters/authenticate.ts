import type { ApiKeyVerifier } from '../auth/api-key-verifier.js'
import type { TokenVerifier } from '../auth/token-verifier.js'
import { GatewayErrors } from '../errors.js'
import type { GatewayFilter } from './filter.js'

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/

/**
 * PRE: turns the credential a request carries into an identity: an access
 * token (`Authorization: Bearer …`, verified against identity's JWKS) or an
 * API key (`X-Api-Key`, checked by identity). It never rejects by itself: a
 * refused credential is recorded on the context, so that `rate-limit-*`
 * still counts the request and `authorize` answers 401.
 */
export function authenticate(tokens: TokenVerifier, apiKeys: ApiKeyVerifier): GatewayFilter {
  return {
    name: 'authenticate',
    stage: 'pre',
    run(context) {
      const { authorization } = context.req.headers
      const apiKey = context.req.headers['x-api-key']
      // Anonymous requests (most of them) stay synchronous.
      if (authorization === undefined && apiKey === undefined) return
      // A token seen before (most requests of a signed-in client) stays synchronous too.
      if (apiKey === undefined && authorization!.startsWith('Bearer ')) {
        const known = tokens.cached(authorization!.slice(7))
        if (known) {
          context.identity = known
          return
        }
      }
      return check(context, authorization, apiKey)
    },
  }

  async function check(
    context: Parameters<GatewayFilter['run']>[0],
    authorization: string | undefined,
    apiKey: string | string[] | undefined,
  ): Promise<void> {
    try {
      if (authorization !== undefined && apiKey !== undefined) throw GatewayErrors.credentialsAmbiguous()
      if (authorization !== undefined) {
        const match = BEARER.exec(authorization)
        if (!match) throw GatewayErrors.tokenInvalid('the Authorization header is not "Bearer <token>"')
        context.identity = await tokens.verify(match[1]!)
      } else {
        context.identity = await apiKeys.verify(String(apiKey))
      }
    } catch (error) {
      context.authError = error
    }
  }
}
