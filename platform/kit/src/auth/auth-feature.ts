import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { ConfigErrors, defineSettings, loadSettings, setting } from '../config/settings.js'
import type { KitFeature } from '../service/feature.js'
import { AssertionVerifier, IDENTITY_HEADER } from './assertion.js'
import { AuthErrors } from './auth-errors.js'
import { type AuthPolicy, decide, describePolicy, type Identity } from './identity.js'

/** Why the route's policy refuses this request's caller, or undefined when it may go on. */
function refusal(request: FastifyRequest): Error | undefined {
  const config = request.routeOptions.config as { auth?: AuthPolicy } | undefined
  // Routes the kit adds itself (health, OpenAPI) and unknown paths carry no policy.
  if (!config || config.auth === undefined) return undefined
  const decision = decide(config.auth, request.identity)
  if (decision === 'unauthenticated') return AuthErrors.required()
  if (decision === 'forbidden') return AuthErrors.forbidden(describePolicy(config.auth))
  return undefined
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, as the gateway verified it; undefined for an anonymous request. */
    identity: Identity | undefined
  }
  interface FastifyContextConfig {
    /** The route's policy; set by the kit for every declared route. */
    auth?: AuthPolicy
  }
}

export const AuthSettings = defineSettings({
  edgePublicKeys: setting(
    Type.String(),
    '',
    'The public keys (JWKS as JSON) the gateway signs identity assertions with. Empty: no caller can be verified, so only public routes answer.',
    { env: 'TRELLIS_EDGE_PUBLIC_KEYS' },
  ),
})

/**
 * Every service: verifies the identity assertion a request carries (a bad
 * one is a 401, never an anonymous request), puts the caller on
 * `request.identity`, and enforces the route's policy before the body is
 * read, so a service is safe even when called directly on its port.
 */
export const authFeature: KitFeature = {
  name: 'auth',
  setup({ app, env, log, definition }) {
    const settings = loadSettings(AuthSettings, env)
    let verifier: AssertionVerifier | undefined
    if (settings.edgePublicKeys) {
      try {
        verifier = AssertionVerifier.fromJwks(settings.edgePublicKeys, definition.name)
      } catch (error) {
        throw ConfigErrors.invalid(`TRELLIS_EDGE_PUBLIC_KEYS: ${(error as Error).message}`)
      }
    } else {
      log.warn('TRELLIS_EDGE_PUBLIC_KEYS is not set: no caller can be verified; only public routes answer')
    }
    app.decorateRequest('identity', undefined)
    // A callback hook: anonymous requests (no assertion) pay no promise.
    app.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers[IDENTITY_HEADER]
      if (header === undefined) return done(refusal(request))
      if (!verifier)
        return done(AuthErrors.assertionInvalid('this instance has no edge keys to verify it with'))
      // Node joins a repeated header into one value, which then fails to verify.
      const known = verifier.cached(String(header))
      if (known) {
        request.identity = known
        return done(refusal(request))
      }
      verifier.verify(String(header)).then(
        (identity) => {
          request.identity = identity
          done(refusal(request))
        },
        (error) => done(error),
      )
    })
    return undefined
  },
}
