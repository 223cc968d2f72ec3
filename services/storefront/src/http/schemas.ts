import { Type } from '@trellis/kit'

export const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
export const SkuCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,63}$' })

export const Availability = Type.Union([
  Type.Literal('in-stock'),
  Type.Literal('low-stock'),
  Type.Literal('out-of-stock'),
  Type.Literal('unknown'),
])

const Stock = {
  availability: Availability,
  /** Units that can be bought now; null when unknown. */
  available: Type.Union([Type.Integer(), Type.Null()]),
}

export const Degraded = Type.Array(Type.String(), {
  description: 'Parts of the answer that could not be fetched in time; empty when complete.',
})

export const ProductPage = Type.Object({
  product: Type.Object({
    id: Uuid,
    merchantId: Type.String(),
    name: Type.String(),
    description: Type.String(),
    category: Type.String(),
    status: Type.String(),
    options: Type.Array(Type.Object({ name: Type.String(), values: Type.Array(Type.String()) })),
  }),
  skus: Type.Array(
    Type.Object({
      sku: Type.String(),
      options: Type.Record(Type.String(), Type.String()),
      priceCents: Type.Integer(),
      currency: Type.String(),
      ...Stock,
    }),
  ),
  availability: Availability,
  degraded: Degraded,
})

export const SkuPage = Type.Object({
  sku: Type.String(),
  productId: Type.String(),
  productName: Type.String(),
  options: Type.Record(Type.String(), Type.String()),
  priceCents: Type.Integer(),
  currency: Type.String(),
  ...Stock,
  degraded: Degraded,
})
