import { defineError } from '@trellis/kit'

export const StorefrontErrors = {
  productNotFound: defineError('TRELLIS_STOREFRONT_PRODUCT_NOT_FOUND', 404, 'product %s not found'),
  skuNotFound: defineError('TRELLIS_STOREFRONT_SKU_NOT_FOUND', 404, 'SKU %s not found'),
  catalogUnavailable: defineError(
    'TRELLIS_STOREFRONT_CATALOG_UNAVAILABLE',
    503,
    'the catalog cannot be reached right now (%s); try again shortly',
    { retryable: true },
  ),
} as const
