import { defineError } from '@trellis/kit'

export const CartErrors = {
  unknownSku: defineError('TRELLIS_CART_UNKNOWN_SKU', 422, 'SKU %s is not for sale'),
  notInCart: defineError('TRELLIS_CART_ITEM_NOT_FOUND', 404, 'SKU %s is not in the cart'),
  empty: defineError('TRELLIS_CART_EMPTY', 422, 'the cart is empty: nothing to check out'),
  keyRequired: defineError(
    'TRELLIS_CART_IDEMPOTENCY_KEY_REQUIRED',
    400,
    'checking out needs an Idempotency-Key header (1 to 200 visible characters)',
  ),
  dependencyDown: defineError('TRELLIS_CART_DEPENDENCY_UNAVAILABLE', 503, '%s did not answer; try again', {
    retryable: true,
  }),
} as const
