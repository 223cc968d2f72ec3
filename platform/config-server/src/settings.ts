import { defineSettings, setting, Type } from '@trellis/kit'

/** The profiles a property may be set for; a typo in a profile name is refused, not stored. */
export const DEFAULT_PROFILES = ['default', 'local', 'test', 'prod']

/**
 * The config server's own settings. They come from the environment only:
 * the server cannot configure itself. The control loop generates the key and
 * the token on first run and keeps them in `.trellis/credentials.json`.
 */
export const ConfigServerSettings = defineSettings({
  encryptionKey: setting(
    Type.String({ pattern: '^([A-Za-z0-9_-]{43}|[A-Za-z0-9+/]{43}=)?$' }),
    '',
    'Key that encrypts secrets at rest: 32 random bytes, base64 or base64url. Required.',
    { secret: true, apply: 'env' },
  ),
  adminToken: setting(
    Type.String({ pattern: '^([\\x21-\\x7e]{24,200})?$' }),
    '',
    'Bearer token of the administrator (writes, rollbacks, reveals); service tokens derive from it. Required.',
    { secret: true, apply: 'env' },
  ),
  profiles: setting(
    Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }), { minItems: 1, uniqueItems: true }),
    DEFAULT_PROFILES,
    'Profiles a property may be set for; `default` is the base every profile inherits.',
    { apply: 'env' },
  ),
  // Watchers come back at once after an answer; a minute keeps idle traffic negligible.
  maxWaitMs: setting(
    Type.Integer({ minimum: 1_000, maximum: 300_000 }),
    60_000,
    'Longest wait of a blocking query.',
    { apply: 'env' },
  ),
})
