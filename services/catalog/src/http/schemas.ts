import { Type } from '@trellis/kit'

export const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
export const SkuCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,63}$' })
export const Category = Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}$' })
export const Currency = Type.String({ pattern: '^[A-Z]{3}$' })
export const PriceCents = Type.Integer({ minimum: 0, maximum: 100_000_000 })
const Label = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^\\u0000-\\u001f]+$' })

export const ProductOption = Type.Object(
  { name: Label, values: Type.Array(Label, { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false },
)

export const Sku = Type.Object({
  sku: SkuCode,
  options: Type.Record(Type.String(), Type.String()),
  priceCents: PriceCents,
  currency: Currency,
})

export const Product = Type.Object({
  id: Uuid,
  merchantId: Uuid,
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
  options: Type.Array(ProductOption),
  skus: Type.Array(Sku),
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const ProductPage = Type.Object({
  items: Type.Array(Product),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

export const NewProduct = Type.Object(
  {
    // A merchant's own by default; an admin names the merchant.
    merchantId: Type.Optional(Uuid),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    category: Category,
    options: Type.Optional(Type.Array(ProductOption, { maxItems: 5 })),
    skus: Type.Array(
      Type.Object(
        {
          sku: SkuCode,
          options: Type.Optional(
            Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 40 }), { maxProperties: 5 }),
          ),
          priceCents: PriceCents,
          currency: Type.Optional(Currency),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
)

export const ProductChanges = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    category: Type.Optional(Category),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
    expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const SkuDetail = Type.Object({
  sku: SkuCode,
  productId: Uuid,
  productName: Type.String(),
  status: Type.String(),
  options: Type.Record(Type.String(), Type.String()),
  priceCents: PriceCents,
  currency: Currency,
})

export const Merchant = Type.Object({
  id: Uuid,
  slug: Type.String(),
  name: Type.String(),
  productCount: Type.Integer(),
  createdAt: Type.String(),
})
