import { defineError } from '../errors/define-error.js'

export const SagaErrors = {
  notFound: defineError('TRELLIS_SAGA_NOT_FOUND', 404, 'no saga %s'),
  unknownSaga: defineError('TRELLIS_SAGA_UNKNOWN', 500, 'this service declares no saga named %s'),
  notCancellable: defineError('TRELLIS_SAGA_NOT_CANCELLABLE', 409, 'saga %s cannot be cancelled: %s'),
  notDeclared: defineError(
    'TRELLIS_SAGA_NOT_DECLARED',
    500,
    'service %s declares no sagas: it cannot start or cancel one',
  ),
} as const
