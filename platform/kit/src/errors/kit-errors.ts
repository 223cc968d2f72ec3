import { defineError } from './define-error.js'

/** Errors raised by the kit itself, shared by every service. */
export const KitErrors = {
  validation: defineError('TRELLIS_REQUEST_INVALID', 400, 'the request does not match the route schema: %s'),
  badRequest: defineError('TRELLIS_REQUEST_MALFORMED', 400, 'the request could not be read: %s'),
  routeNotFound: defineError('TRELLIS_ROUTE_NOT_FOUND', 404, 'no route for %s %s'),
  payloadTooLarge: defineError('TRELLIS_PAYLOAD_TOO_LARGE', 413, 'the request body is larger than %s bytes'),
  unsupportedMediaType: defineError(
    'TRELLIS_UNSUPPORTED_MEDIA_TYPE',
    415,
    'content type %s is not supported',
  ),
  idempotencyKeyInvalid: defineError(
    'TRELLIS_IDEMPOTENCY_KEY_INVALID',
    400,
    'the Idempotency-Key header must be 1 to 200 visible ASCII characters',
  ),
  idempotencyKeyReused: defineError(
    'TRELLIS_IDEMPOTENCY_KEY_REUSED',
    422,
    'idempotency key %s was already used with a different request',
  ),
  valueRefused: defineError(
    'TRELLIS_REQUEST_VALUE_REFUSED',
    400,
    'a value in the request cannot be stored (for example a NUL character or a number out of range)',
  ),
  internal: defineError('TRELLIS_INTERNAL', 500, 'the service failed to handle the request'),
  unavailable: defineError('TRELLIS_UNAVAILABLE', 503, '%s', {
    retryable: true,
    title: 'Service unavailable',
  }),
  databaseUnavailable: defineError('TRELLIS_DATABASE_UNAVAILABLE', 503, 'the database is unreachable', {
    retryable: true,
  }),
  deadlineExceeded: defineError(
    'TRELLIS_DEADLINE_EXCEEDED',
    504,
    "the caller's deadline passed before the work started (%s)",
  ),
  shuttingDown: defineError('TRELLIS_SHUTTING_DOWN', 503, 'the instance is shutting down', {
    retryable: true,
  }),
} as const
