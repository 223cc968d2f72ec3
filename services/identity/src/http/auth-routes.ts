import { type AnyRoute, AuthErrors, type Database, defineRoute, Type } from '@trellis/kit'
import type { Sessions } from '../app/sessions.js'
import { hashPassword, type PasswordParams } from '../domain/password.js'
import { IdentityErrors } from '../errors.js'
import type { KeyRing } from '../keys/key-ring.js'
import { toUser, UserStore } from '../store/user-store.js'
import { Email, Name, NoContent, Password, RefreshToken, Session, User } from './schemas.js'

/** Sign-up, sign-in, refresh, sign-out, the caller's own account, and the JWKS. */
export function authRoutes(
  db: Database,
  sessions: Sessions,
  keys: KeyRing,
  password: PasswordParams,
): AnyRoute[] {
  const users = new UserStore(db)
  return [
    defineRoute({
      method: 'GET',
      url: '/.well-known/jwks.json',
      summary: 'The public keys access tokens are signed with (current and recently retired)',
      auth: 'public',
      schema: {
        response: {
          200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        },
      },
      handler: async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=60')
        return keys.jwks()
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/signup',
      summary: 'Create a customer account and sign in',
      auth: 'public',
      schema: {
        body: Type.Object({ email: Email, password: Password, name: Name }, { additionalProperties: false }),
        response: { 201: Session },
      },
      handler: async (request, reply) => {
        const user = await users.create({
          email: request.body.email.trim().toLowerCase(),
          name: request.body.name,
          passwordHash: await hashPassword(request.body.password, password),
          roles: ['customer'],
        })
        reply.code(201)
        return sessions.open(user)
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/login',
      summary: 'Sign in with email and password: an access token and a refresh token',
      auth: 'public',
      schema: {
        body: Type.Object({ email: Email, password: Password }, { additionalProperties: false }),
        response: { 200: Session },
      },
      handler: async (request) =>
        sessions.login(request.body.email.trim().toLowerCase(), request.body.password),
    }),
    defineRoute({
      method: 'POST',
      url: '/refresh',
      summary: 'Exchange a refresh token for a new pair; each refresh token works once',
      auth: 'public',
      schema: {
        body: Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false }),
        response: { 200: Session },
      },
      handler: async (request) => sessions.refresh(request.body.refreshToken),
    }),
    defineRoute({
      method: 'POST',
      url: '/logout',
      summary: 'Sign out: revoke the refresh token and every token of its sign-in',
      auth: 'public',
      schema: {
        body: Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false }),
        response: { 204: NoContent },
      },
      handler: async (request, reply) => {
        await sessions.logout(request.body.refreshToken)
        reply.code(204)
        return null
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/me',
      summary: 'The signed-in account',
      auth: 'signed-in',
      schema: { response: { 200: User } },
      handler: async (request) => {
        const row = await users.byId(request.identity!.subject)
        if (!row) throw IdentityErrors.userNotFound(request.identity!.subject)
        return toUser(row)
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/me/sessions',
      summary: 'Sign out everywhere: revoke every refresh token of the signed-in account',
      auth: 'signed-in',
      schema: { response: { 204: NoContent } },
      handler: async (request, reply) => {
        if (request.identity!.kind !== 'user') throw AuthErrors.forbidden('a signed-in user, not an API key')
        await sessions.revokeAll(request.identity!.subject)
        reply.code(204)
        return null
      },
    }),
  ]
}
