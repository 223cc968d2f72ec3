import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { Sessions } from './app/sessions.js'
import { adminRoutes } from './http/admin-routes.js'
import { apiKeyRoutes } from './http/api-key-routes.js'
import { authRoutes } from './http/auth-routes.js'
import { KeyRing } from './keys/key-ring.js'

export const IdentitySettings = defineSettings({
  accessTokenTtlS: setting(
    Type.Integer({ minimum: 1, maximum: 3600 }),
    600,
    'Access token lifetime; also how long a revoked sign-in can still call APIs.',
  ),
  refreshTokenTtlS: setting(
    Type.Integer({ minimum: 60, maximum: 90 * 86_400 }),
    14 * 86_400,
    'Refresh token lifetime; every use replaces the token and starts its lifetime again.',
  ),
  issuer: setting(Type.String({ minLength: 1 }), 'trellis-identity', 'The `iss` of access tokens.'),
  audience: setting(
    Type.String({ minLength: 1 }),
    'trellis',
    'The `aud` of access tokens: the API they are for.',
  ),
  keyRotationDays: setting(
    Type.Integer({ minimum: 0, maximum: 3650 }),
    30,
    'Signing keys older than this are rotated (checked at start and hourly); 0 rotates only when an admin asks.',
  ),
  retiredKeyGraceS: setting(
    Type.Integer({ minimum: 0, maximum: 3600 }),
    60,
    'How long a retired signing key stays in the JWKS beyond the access token lifetime (clock skew between hosts).',
  ),
  keyActivationDelayS: setting(
    Type.Integer({ minimum: 0, maximum: 3600 }),
    10,
    'How long a new signing key is published in the JWKS before it signs (longer than verifiers take to refresh).',
  ),
  passwordMemoryKib: setting(
    Type.Integer({ minimum: 8192, maximum: 1_048_576 }),
    19_456,
    'argon2id memory per hash (KiB); OWASP recommends at least 19 MiB.',
  ),
  passwordIterations: setting(Type.Integer({ minimum: 1, maximum: 20 }), 2, 'argon2id passes per hash.'),
})

// Per instance (tests may run several in one process): the routes' key ring and its rotation timer.
const rings = new WeakMap<object, { keys: KeyRing; timer?: NodeJS.Timeout }>()

export const identity = defineService({
  name: 'identity',
  version: '0.1.0',
  description: 'Accounts, sign-in, access and refresh tokens, JWKS with key rotation, API keys.',
  settings: IdentitySettings,
  database: {
    migrations: new URL('../migrations', import.meta.url),
    seeds: new URL('../seeds', import.meta.url),
  },
  routes: (context) => {
    const { db, settings } = context
    const keys = new KeyRing(db, {
      accessTokenTtlS: settings.accessTokenTtlS,
      issuer: settings.issuer,
      audience: settings.audience,
      rotationDays: settings.keyRotationDays,
      retiredGraceS: settings.retiredKeyGraceS,
      activationDelayS: settings.keyActivationDelayS,
    })
    rings.set(context, { keys })
    const sessions = new Sessions(db, keys, settings.refreshTokenTtlS)
    const password = { memoryKib: settings.passwordMemoryKib, iterations: settings.passwordIterations }
    return [
      ...authRoutes(db, sessions, keys, password),
      ...adminRoutes(db, sessions, keys, password),
      ...apiKeyRoutes(db),
    ]
  },
  onStart: async (context) => {
    const ring = rings.get(context)!
    await ring.keys.prepare()
    ring.timer = setInterval(
      () =>
        void ring.keys
          .prepare()
          .catch((error) => context.log.warn({ err: error }, 'signing key check failed')),
      3_600_000,
    )
    ring.timer.unref()
  },
  onStop: (context) => clearInterval(rings.get(context)?.timer),
})
