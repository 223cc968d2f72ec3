import { defineError } from '@trellis/kit'

export const ConfigServerErrors = {
  rejected: defineError('TRELLIS_CONFIG_CHANGE_REJECTED', 422, 'the change was refused: %s'),
  unauthorized: defineError('TRELLIS_CONFIG_UNAUTHORIZED', 401, 'a valid token is required to %s'),
  forbidden: defineError('TRELLIS_CONFIG_FORBIDDEN', 403, '%s may not %s'),
  profileUnknown: defineError('TRELLIS_CONFIG_PROFILE_UNKNOWN', 400, 'unknown profile %s; known: %s'),
  versionUnknown: defineError(
    'TRELLIS_CONFIG_VERSION_UNKNOWN',
    404,
    'no configuration version %s (the newest is %s)',
  ),
  applicationUnknown: defineError(
    'TRELLIS_CONFIG_APPLICATION_UNKNOWN',
    404,
    'application %s has not published its settings; start one of its instances first',
  ),
  keyMismatch: defineError(
    'TRELLIS_CONFIG_KEY_MISMATCH',
    500,
    'the encryption key does not open the stored secrets (%s); restore the key they were written with (TRELLIS_CONFIG_ENCRYPTION_KEY, kept in .trellis/credentials.json)',
  ),
} as const
