import { defineError } from '@trellis/kit'

export const CatalogErrors = {
  productNotFound: defineError('TRELLIS_CATALOG_PRODUCT_NOT_FOUND', 404, 'product %s not found'),
  merchantNotFound: defineError('TRELLIS_CATALOG_MERCHANT_NOT_FOUND', 404, 'merchant %s not found'),
  skuNotFound: defineError('TRELLIS_CATALOG_SKU_NOT_FOUND', 404, 'SKU %s not found'),
  merchantUnknown: defineError('TRELLIS_CATALOG_MERCHANT_UNKNOWN', 422, 'merchant %s does not exist'),
  skuTaken: defineError('TRELLIS_CATALOG_SKU_TAKEN', 409, 'SKU %s already exists'),
  slugTaken: defineError('TRELLIS_CATALOG_SLUG_TAKEN', 409, 'merchant slug %s is already taken'),
  skuOptionsInvalid: defineError('TRELLIS_CATALOG_SKU_OPTIONS_INVALID', 422, 'SKU %s: %s'),
  versionConflict: defineError(
    'TRELLIS_CATALOG_VERSION_CONFLICT',
    409,
    'product %s is at version %s, not %s; read it again and retry',
  ),
  cursorInvalid: defineError(
    'TRELLIS_CATALOG_CURSOR_INVALID',
    400,
    'the paging cursor is not one this service issued',
  ),
} as const
