import { type AnyRoute, type Database, defineRoute, Type } from '@trellis/kit'
import type { Sessions } from '../app/sessions.js'
import { hashPassword, type PasswordParams } from '../domain/password.js'
import { IdentityErrors } from '../errors.js'
import type { KeyRing } from '../keys/key-ring.js'
import { UserStore } from '../store/user-store.js'
import { Email, Name, NoContent, Password, RoleName, User, Uuid } from './schemas.js'

const ADMIN = { roles: ['admin' as const] }

/** What only an admin does: accounts of any role, revoking a user's sessions, rotating signing keys. */
export function adminRoutes(
  db: Database,
  sessions: Sessions,
  keys: KeyRing,
  password: PasswordParams,
): AnyRoute[] {
  const users = new UserStore(db)
  return [
    defineRoute({
      method: 'GET',
      url: '/users',
      summary: 'Every account (admin)',
      auth: ADMIN,
      schema: {
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(User) }) },
      },
      handler: async (request) => ({ items: await users.list(request.query.limit ?? 100) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/users',
      summary: 'Create an account with any role (admin); a merchant account names its merchant',
      auth: ADMIN,
      schema: {
        body: Type.Object(
          {
            email: Email,
            password: Password,
            name: Name,
            roles: Type.Array(RoleName, { minItems: 1, maxItems: 3, uniqueItems: true }),
            merchantId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: { 201: User },
      },
      handler: async (request, reply) => {
        const { roles, merchantId } = request.body
        if (roles.includes('merchant') && !merchantId) throw IdentityErrors.merchantRequired()
        const user = await users.create({
          email: request.body.email.trim().toLowerCase(),
          name: request.body.name,
          passwordHash: await hashPassword(request.body.password, password),
          roles,
          merchantId,
        })
        reply.code(201)
        return user
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/users/:id/sessions',
      summary: 'Revoke every refresh token of an account (admin); its access tokens run out within minutes',
      auth: ADMIN,
      schema: { params: Type.Object({ id: Uuid }), response: { 204: NoContent } },
      handler: async (request, reply) => {
        if (!(await users.byId(request.params.id))) throw IdentityErrors.userNotFound(request.params.id)
        await sessions.revokeAll(request.params.id)
        reply.code(204)
        return null
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/keys/rotate',
      summary: 'Start signing with a new key (admin); the old one stays in the JWKS until its tokens expire',
      auth: ADMIN,
      schema: { response: { 200: Type.Object({ kid: Type.String() }) } },
      handler: async () => ({ kid: await keys.rotate() }),
    }),
  ]
}
