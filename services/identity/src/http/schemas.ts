import { Type } from '@trellis/kit'

export const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
// Deliberately plain: one @, no spaces or control characters, a dot in the domain. Mail delivery is the real test.
export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^@\\s\\u0000-\\u001f\\u007f]+@[^@\\s\\u0000-\\u001f\\u007f]+\\.[^@\\s\\u0000-\\u001f\\u007f]+$',
})
// NIST SP 800-63B: at least 8 characters, long passphrases welcome; the cap bounds hashing work.
export const Password = Type.String({ minLength: 8, maxLength: 256 })
export const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })
export const RoleName = Type.Union([
  Type.Literal('customer'),
  Type.Literal('merchant'),
  Type.Literal('admin'),
])
export const Scope = Type.String({ pattern: '^[a-z][a-z-]{0,30}:[a-z][a-z-]{0,30}$' })
export const RefreshToken = Type.String({ minLength: 1, maxLength: 200 })

export const User = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(RoleName),
  merchantId: Type.Union([Uuid, Type.Null()]),
  disabled: Type.Boolean(),
  createdAt: Type.String(),
})

export const Session = Type.Object({
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String(),
  expiresIn: Type.Integer(),
  refreshToken: Type.String(),
  refreshExpiresIn: Type.Integer(),
  user: User,
})

export const ApiKey = Type.Object({
  id: Uuid,
  userId: Uuid,
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
})

/** What the gateway learns about a verified API key. */
export const ApiKeyIdentity = Type.Object({
  subject: Uuid,
  keyId: Uuid,
  roles: Type.Array(RoleName),
  scopes: Type.Array(Type.String()),
  merchantId: Type.Union([Uuid, Type.Null()]),
})

export const NoContent = Type.Null()
