import { defineError } from '@trellis/kit'

export const IdentityErrors = {
  emailTaken: defineError('TRELLIS_IDENTITY_EMAIL_TAKEN', 409, 'an account with email %s already exists'),
  loginFailed: defineError('TRELLIS_IDENTITY_LOGIN_FAILED', 401, 'the email or the password is wrong'),
  loginThrottled: defineError(
    'TRELLIS_IDENTITY_LOGIN_THROTTLED',
    429,
    'too many failed sign-ins for this account; try again in %s s',
    { retryable: true },
  ),
  refreshInvalid: defineError(
    'TRELLIS_IDENTITY_REFRESH_TOKEN_INVALID',
    401,
    'the refresh token is unknown, expired or revoked',
  ),
  refreshReused: defineError(
    'TRELLIS_IDENTITY_REFRESH_TOKEN_REUSED',
    401,
    'the refresh token was already used; every session of its sign-in is now revoked',
  ),
  apiKeyInvalid: defineError('TRELLIS_IDENTITY_API_KEY_INVALID', 401, 'the API key is unknown or revoked'),
  apiKeyNotFound: defineError('TRELLIS_IDENTITY_API_KEY_NOT_FOUND', 404, 'API key %s not found'),
  userNotFound: defineError('TRELLIS_IDENTITY_USER_NOT_FOUND', 404, 'user %s not found'),
  scopeNotAllowed: defineError('TRELLIS_IDENTITY_SCOPE_NOT_ALLOWED', 422, 'scope %s cannot be granted: %s'),
  merchantRequired: defineError(
    'TRELLIS_IDENTITY_MERCHANT_REQUIRED',
    422,
    'a merchant account needs the merchantId it acts for',
  ),
} as const
