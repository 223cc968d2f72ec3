import {
  type AnyRoute,
  type Database,
  defineRoute,
  KitErrors,
  ownerScope,
  replyIdempotently,
  type ServiceContext,
  Type,
} from '@trellis/kit'
import { decodeCursor } from '../domain/cursor.js'
import { checkSkus } from '../domain/product.js'
import { CatalogErrors } from '../errors.js'
import { priceChanged, productCreated, productUpdated } from '../events/product-events.js'
import { ProductStore } from '../store/product-store.js'
import {
  Category,
  Currency,
  NewProduct,
  PriceCents,
  Product,
  ProductChanges,
  ProductPage,
  SkuCode,
  SkuDetail,
  Uuid,
} from './schemas.js'

/** Merchants (their own products) and admins; an API key needs `catalog:write`. */
const WRITERS = { roles: ['merchant' as const, 'admin' as const], scopes: ['catalog:write'] }

export function productRoutes(
  db: Database,
  settings: { defaultPageSize: number; maxPageSize: number },
  publish: ServiceContext['publish'],
): AnyRoute[] {
  const products = new ProductStore(db)
  return [
    // Reading the catalogue is public; changing it is for the merchant who owns the product (or an admin).
    defineRoute({
      method: 'GET',
      url: '/products',
      summary: 'List products, optionally searching by name; keyset-paged',
      auth: 'public',
      schema: {
        querystring: Type.Object(
          {
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            merchantId: Type.Optional(Uuid),
            category: Type.Optional(Category),
            status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
            // Bounded by the setting's own upper bound; the live maxPageSize is checked in the handler.
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProductPage },
      },
      handler: async (request) => {
        const { q, merchantId, category, status, limit, cursor } = request.query
        // The largest page is a live setting (the config server may change it): checked here, not in the schema compiled at start.
        if (limit !== undefined && limit > settings.maxPageSize) throw pageTooLarge(settings.maxPageSize)
        return products.list({
          ...(q ? { q } : {}),
          ...(merchantId ? { merchantId } : {}),
          ...(category ? { category } : {}),
          ...(status ? { status } : {}),
          limit: limit ?? Math.min(settings.defaultPageSize, settings.maxPageSize),
          ...(cursor ? { after: decodeCursor(cursor) } : {}),
        })
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products/:id',
      summary: 'One product with its SKUs',
      auth: 'public',
      schema: { params: Type.Object({ id: Uuid }), response: { 200: Product } },
      handler: async (request) => {
        const product = await products.get(request.params.id)
        if (!product) throw CatalogErrors.productNotFound(request.params.id)
        return product
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/products',
      summary: 'Create a product with its SKUs (accepts Idempotency-Key); a merchant creates its own',
      auth: WRITERS,
      schema: { body: NewProduct, response: { 201: Product } },
      handler: async (request, reply) => {
        const body = request.body
        const owner = ownerScope(request.identity, 'merchant')
        // A merchant naming another merchant learns nothing more than from a merchant that does not exist.
        if (owner !== null && body.merchantId !== undefined && body.merchantId !== owner)
          throw CatalogErrors.merchantUnknown(body.merchantId)
        const merchantId = owner ?? body.merchantId
        if (!merchantId) throw CatalogErrors.merchantUnknown('(none given)')
        const options = body.options ?? []
        const skus = body.skus.map((s) => ({ ...s, options: s.options ?? {} }))
        checkSkus(options, skus)
        return replyIdempotently(request, reply, db, async (tx) => {
          const product = await new ProductStore(tx).create({
            ...body,
            merchantId,
            description: body.description ?? '',
            options,
            skus,
          })
          // Same transaction: the event exists if and only if the product does.
          await publish(tx, productCreated(product))
          return { status: 201, body: product }
        })
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/products/:id',
      summary: 'Change a product; with expectedVersion, only if nobody changed it since',
      auth: WRITERS,
      schema: { params: Type.Object({ id: Uuid }), body: ProductChanges, response: { 200: Product } },
      handler: async (request) => {
        const { expectedVersion, ...changes } = request.body
        const owner = ownerScope(request.identity, 'merchant')
        return db.tx(async (tx) => {
          const product = await new ProductStore(tx).update(
            request.params.id,
            changes,
            expectedVersion,
            owner,
          )
          const changed = Object.keys(changes).filter((k) => changes[k as keyof typeof changes] !== undefined)
          await publish(tx, productUpdated(product, changed))
          return product
        })
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/skus/:sku',
      summary: 'One SKU with its product name and current price',
      auth: 'public',
      schema: { params: Type.Object({ sku: SkuCode }), response: { 200: SkuDetail } },
      handler: async (request) => {
        const sku = await products.sku(request.params.sku)
        if (!sku) throw CatalogErrors.skuNotFound(request.params.sku)
        return sku
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/skus/:sku/price',
      summary: "Set a SKU's price",
      auth: WRITERS,
      schema: {
        params: Type.Object({ sku: SkuCode }),
        body: Type.Object(
          { priceCents: PriceCents, currency: Type.Optional(Currency) },
          { additionalProperties: false },
        ),
        response: { 200: SkuDetail },
      },
      handler: async (request) => {
        const owner = ownerScope(request.identity, 'merchant')
        return db.tx(async (tx) => {
          const store = new ProductStore(tx)
          const before = await store.sku(request.params.sku, true)
          if (!before) throw CatalogErrors.skuNotFound(request.params.sku)
          // Another merchant's SKU is answered like a missing one.
          const done = await store.setPrice(
            request.params.sku,
            request.body.priceCents,
            request.body.currency,
            owner,
          )
          if (!done) throw CatalogErrors.skuNotFound(request.params.sku)
          const now = (await store.sku(request.params.sku))!
          if (now.priceCents !== before.priceCents || now.currency !== before.currency)
            await publish(tx, priceChanged(now.productId, now, before))
          return now
        })
      },
    }),
  ]
}

function pageTooLarge(max: number) {
  const message = `must be <= ${max}`
  return KitErrors.validation(`querystring/limit ${message}`).with({
    errors: [{ in: 'querystring', path: '/limit', message }],
  })
}
