import { type AnyRoute, AuthErrors, type Database, defineRoute, ownerScope, Type } from '@trellis/kit'
import { refusedScope } from '../domain/scopes.js'
import { newApiKey, parseApiKey, sameHash } from '../domain/secrets.js'
import { IdentityErrors } from '../errors.js'
import { ApiKeyStore } from '../store/api-key-store.js'
import { ApiKey, ApiKeyIdentity, NoContent, Scope, Uuid } from './schemas.js'

// Keys are made and managed by their owners in a signed-in session, never with another key.
const MANAGERS = { roles: ['merchant' as const, 'admin' as const] }

/** API keys for merchant integrations: shown once, stored hashed, scoped, revocable. */
export function apiKeyRoutes(db: Database): AnyRoute[] {
  const keys = new ApiKeyStore(db)
  return [
    defineRoute({
      method: 'POST',
      url: '/api-keys',
      summary: 'Create an API key with some of your permissions; the key is shown only in this answer',
      auth: MANAGERS,
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
            scopes: Type.Array(Scope, { minItems: 1, maxItems: 10, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([ApiKey, Type.Object({ key: Type.String() })]) },
      },
      handler: async (request, reply) => {
        const identity = request.identity!
        if (identity.kind !== 'user')
          throw AuthErrors.forbidden('a signed-in user; an API key cannot make keys')
        const refused = refusedScope(identity.roles, request.body.scopes)
        if (refused)
          throw IdentityErrors.scopeNotAllowed(
            refused,
            `not one your roles (${identity.roles.join(', ')}) may grant`,
          )
        const secret = newApiKey()
        const stored = await keys.insert({
          id: secret.id,
          userId: identity.subject,
          name: request.body.name,
          hash: secret.hash,
          scopes: request.body.scopes,
        })
        reply.code(201)
        return { ...stored, key: secret.key }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api-keys',
      summary: 'Your API keys (an admin sees all), without their secrets',
      auth: MANAGERS,
      schema: { response: { 200: Type.Object({ items: Type.Array(ApiKey) }) } },
      handler: async (request) => ({ items: await keys.list(ownerScope(request.identity, 'customer')) }),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api-keys/:id',
      summary: 'Revoke an API key; the gateway stops accepting it within its cache time (30 s)',
      auth: MANAGERS,
      schema: { params: Type.Object({ id: Uuid }), response: { 204: NoContent } },
      handler: async (request, reply) => {
        const revoked = await keys.revoke(request.params.id, ownerScope(request.identity, 'customer'))
        if (!revoked) throw IdentityErrors.apiKeyNotFound(request.params.id)
        reply.code(204)
        return null
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api-keys/verify',
      summary: 'Who an API key acts for (the gateway asks; never reachable from outside)',
      access: 'internal',
      schema: {
        body: Type.Object({ key: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: ApiKeyIdentity },
      },
      handler: async (request) => {
        const parsed = parseApiKey(request.body.key)
        const live = parsed && (await keys.live(parsed.id))
        if (!parsed || !live || !sameHash(live.hash, parsed.secret)) throw IdentityErrors.apiKeyInvalid()
        await keys.touch(parsed.id)
        return {
          subject: live.userId,
          keyId: parsed.id,
          roles: live.roles,
          // A key never does more than its owner may still grant (a demoted owner narrows their keys).
          scopes: live.scopes.filter((s) => !refusedScope(live.roles, [s])),
          merchantId: live.merchantId,
        }
      },
    }),
  ]
}
