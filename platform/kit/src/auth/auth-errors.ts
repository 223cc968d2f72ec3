import { defineError } from '../errors/define-error.js'

/** Authentication and authorisation failures, the same whether the gateway or the service decides. */
export const AuthErrors = {
  required: defineError('TRELLIS_AUTH_REQUIRED', 401, 'this route needs a signed-in caller'),
  forbidden: defineError('TRELLIS_AUTH_FORBIDDEN', 403, 'this route needs %s'),
  assertionInvalid: defineError(
    'TRELLIS_AUTH_ASSERTION_INVALID',
    401,
    'the identity assertion was refused: %s',
  ),
} as const
