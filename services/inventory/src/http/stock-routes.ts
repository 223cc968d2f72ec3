import {
  type AnyRoute,
  type Database,
  defineRoute,
  KitErrors,
  ownerScope,
  replyIdempotently,
  Type,
} from '@trellis/kit'
import { InventoryErrors } from '../errors.js'
import { StockStore } from '../store/stock-store.js'

const SkuCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,63}$' })
const StockLevel = Type.Object({
  sku: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  lowStockThreshold: Type.Integer(),
  lowStock: Type.Boolean(),
  version: Type.Integer(),
  updatedAt: Type.String(),
})
const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000 })
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })

/** Stock is the business of the merchant that sells the SKU (and of admins); API keys need the matching scope. */
const READERS = { roles: ['merchant' as const, 'admin' as const], scopes: ['inventory:read'] }
const WRITERS = { roles: ['merchant' as const, 'admin' as const], scopes: ['inventory:write'] }

export function stockRoutes(
  db: Database,
  settings: { defaultPageSize: number; maxPageSize: number },
): AnyRoute[] {
  const stock = new StockStore(db)
  return [
    defineRoute({
      method: 'GET',
      url: '/stock',
      summary: 'Your stock levels by SKU (an admin sees all); lowStock=true lists what needs reordering',
      auth: READERS,
      schema: {
        querystring: Type.Object(
          {
            lowStock: Type.Optional(Type.Boolean()),
            // Bounded by the setting's own upper bound; the live maxPageSize is checked in the handler.
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(StockLevel),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
      handler: async (request) => {
        const { lowStock, limit, cursor } = request.query
        // The largest page is a live setting (the config server may change it): checked here, not in the schema compiled at start.
        if (limit !== undefined && limit > settings.maxPageSize) throw pageTooLarge(settings.maxPageSize)
        return stock.list({
          owner: ownerScope(request.identity, 'merchant'),
          ...(lowStock === undefined ? {} : { lowStock }),
          limit: limit ?? Math.min(settings.defaultPageSize, settings.maxPageSize),
          ...(cursor ? { after: decodeCursor(cursor) } : {}),
        })
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/stock/:sku',
      summary: 'The stock level of one SKU',
      auth: READERS,
      schema: { params: Type.Object({ sku: SkuCode }), response: { 200: StockLevel } },
      handler: async (request) => {
        const level = await stock.get(request.params.sku, ownerScope(request.identity, 'merchant'))
        if (!level) throw InventoryErrors.skuNotFound(request.params.sku)
        return level
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/stock/:sku',
      summary:
        'Create a stock record (a merchant creates its own) or change its low-stock threshold; onHand records a stock count',
      auth: WRITERS,
      schema: {
        params: Type.Object({ sku: SkuCode }),
        body: Type.Object(
          {
            lowStockThreshold: Quantity,
            onHand: Type.Optional(Quantity),
            // Only an admin names the owner of a new record; a merchant's records are its own.
            merchantId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: { 200: StockLevel, 201: StockLevel },
      },
      handler: async (request, reply) => {
        const owner = ownerScope(request.identity, 'merchant')
        if (owner !== null && request.body.merchantId !== undefined && request.body.merchantId !== owner)
          throw InventoryErrors.skuNotFound(request.params.sku)
        const newOwner = owner ?? request.body.merchantId ?? null
        const { level, created } = await db.tx((tx) =>
          new StockStore(tx).put(
            request.params.sku,
            request.body.lowStockThreshold,
            request.body.onHand,
            request.id,
            {
              owner,
              newOwner,
            },
          ),
        )
        reply.code(created ? 201 : 200)
        return level
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/stock/:sku/adjustments',
      summary:
        'Add or remove stock (delivery, damage, count); refuses to go below what is reserved (accepts Idempotency-Key)',
      auth: WRITERS,
      schema: {
        params: Type.Object({ sku: SkuCode }),
        body: Type.Object(
          {
            delta: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, not: { const: 0 } }),
            reason: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: StockLevel },
      },
      handler: async (request, reply) =>
        replyIdempotently(request, reply, db, async (tx) => ({
          status: 200,
          body: await new StockStore(tx).adjust(
            request.params.sku,
            request.body.delta,
            request.body.reason,
            request.id,
            ownerScope(request.identity, 'merchant'),
          ),
        })),
    }),
    defineRoute({
      method: 'GET',
      url: '/availability/:sku',
      summary:
        'How many units of a SKU can be sold, for other services (the storefront); not the stock records',
      // Other services call it directly; it is never reachable through the gateway, and it shows no owner's records.
      access: 'internal',
      schema: {
        params: Type.Object({ sku: SkuCode }),
        response: {
          200: Type.Object({ sku: Type.String(), available: Type.Integer(), lowStock: Type.Boolean() }),
        },
      },
      handler: async (request) => {
        const level = await stock.get(request.params.sku, null)
        if (!level) throw InventoryErrors.skuNotFound(request.params.sku)
        return { sku: level.sku, available: level.available, lowStock: level.lowStock }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/stock/:sku/movements',
      summary: 'Recent changes of one SKU, newest first',
      auth: READERS,
      schema: {
        params: Type.Object({ sku: SkuCode }),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                delta: Type.Integer(),
                reason: Type.String(),
                onHandAfter: Type.Integer(),
                requestId: Type.Union([Type.String(), Type.Null()]),
                createdAt: Type.String(),
              }),
            ),
          }),
        },
      },
      handler: async (request) => {
        if (!(await stock.get(request.params.sku, ownerScope(request.identity, 'merchant'))))
          throw InventoryErrors.skuNotFound(request.params.sku)
        return { items: await stock.movements(request.params.sku, request.query.limit ?? 50) }
      },
    }),
  ]
}

function decodeCursor(cursor: string): string {
  const sku = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[A-Z0-9][A-Z0-9-]{1,63}$/.test(sku)) throw InventoryErrors.cursorInvalid()
  return sku
}

function pageTooLarge(max: number) {
  const message = `must be <= ${max}`
  return KitErrors.validation(`querystring/limit ${message}`).with({
    errors: [{ in: 'querystring', path: '/limit', message }],
  })
}
