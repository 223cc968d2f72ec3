import { defineError } from '@trellis/kit'

export const ShippingErrors = {
  notFound: defineError('TRELLIS_SHIPPING_NOT_FOUND', 404, 'no shipment %s'),
  dispatched: defineError('TRELLIS_SHIPPING_DISPATCHED', 409, 'shipment %s is %s: it cannot be dispatched'),
} as const
