import { defineError } from '@trellis/kit'

export const OrderErrors = {
  notFound: defineError('TRELLIS_ORDER_NOT_FOUND', 404, 'order %s not found'),
  keyRequired: defineError(
    'TRELLIS_ORDER_IDEMPOTENCY_KEY_REQUIRED',
    400,
    'placing an order needs an Idempotency-Key header (1 to 200 visible characters)',
  ),
  keyReused: defineError(
    'TRELLIS_ORDER_IDEMPOTENCY_KEY_REUSED',
    422,
    'idempotency key %s already placed order %s with different content',
  ),
  unknownSku: defineError('TRELLIS_ORDER_UNKNOWN_SKU', 422, 'SKU %s is not for sale'),
  noShipping: defineError('TRELLIS_ORDER_NO_SHIPPING', 422, 'no %s shipping to %s for this order'),
  notCancellable: defineError('TRELLIS_ORDER_NOT_CANCELLABLE', 409, 'order %s cannot be cancelled: %s'),
  dependencyDown: defineError('TRELLIS_ORDER_DEPENDENCY_UNAVAILABLE', 503, '%s did not answer; try again', {
    retryable: true,
  }),
} as const
