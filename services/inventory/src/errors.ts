import { defineError } from '@trellis/kit'

export const InventoryErrors = {
  skuNotFound: defineError('TRELLIS_INVENTORY_SKU_NOT_FOUND', 404, 'no stock record for SKU %s'),
  insufficientStock: defineError(
    'TRELLIS_INVENTORY_INSUFFICIENT_STOCK',
    409,
    'SKU %s has %s available; a change of %s would take it below zero',
  ),
  cursorInvalid: defineError(
    'TRELLIS_INVENTORY_CURSOR_INVALID',
    400,
    'the paging cursor is not one this service issued',
  ),
} as const
