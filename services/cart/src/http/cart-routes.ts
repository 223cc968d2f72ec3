import {
  type AnyRoute,
  type Database,
  type DependencyClient,
  defineRoute,
  IDEMPOTENCY_HEADER,
  type Identity,
  isTrellisError,
  ownerScope,
  Type,
} from '@trellis/kit'
import type { CatalogPrices } from '../clients/catalog-prices.js'
import { CartErrors } from '../errors.js'
import { CartStore } from '../store/cart-store.js'

const Sku = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,63}$' })
const CUSTOMERS = { roles: ['customer' as const, 'admin' as const], scopes: ['cart:write'] }
const Cart = Type.Object({
  items: Type.Array(
    Type.Object({
      sku: Type.String(),
      quantity: Type.Integer(),
      productName: Type.Union([Type.String(), Type.Null()]),
      priceCents: Type.Union([Type.Integer(), Type.Null()]),
      lineCents: Type.Union([Type.Integer(), Type.Null()]),
      available: Type.Boolean(),
    }),
  ),
  totalCents: Type.Integer(),
  currency: Type.String(),
})

/** The caller's own cart: a customer's id (an admin has a cart of their own too). */
const owner = (identity: Identity | undefined) => ownerScope(identity, 'customer') ?? identity!.subject

export function cartRoutes(db: Database, prices: CatalogPrices, order: DependencyClient): AnyRoute[] {
  const carts = new CartStore(db)
  const view = async (customerId: string) => {
    const lines = await carts.lines(customerId)
    const priced = await Promise.all(lines.map(async (l) => ({ line: l, price: await prices.get(l.sku) })))
    const items = priced.map(({ line, price }) => {
      const available = price !== undefined && price.status === 'active'
      return {
        sku: line.sku,
        quantity: line.quantity,
        productName: price?.productName ?? null,
        priceCents: available ? price!.priceCents : null,
        lineCents: available ? price!.priceCents * line.quantity : null,
        available,
      }
    })
    return {
      items,
      totalCents: items.reduce((sum, i) => sum + (i.lineCents ?? 0), 0),
      currency: priced.find((p) => p.price)?.price?.currency ?? 'USD',
    }
  }
  return [
    defineRoute({
      method: 'GET',
      url: '/cart',
      summary: 'Your cart, with current prices',
      auth: CUSTOMERS,
      schema: { response: { 200: Cart } },
      handler: async (request) => view(owner(request.identity)),
    }),
    defineRoute({
      method: 'PUT',
      url: '/cart/items/:sku',
      summary: 'Add a SKU or change its quantity (0 removes it)',
      auth: CUSTOMERS,
      schema: {
        params: Type.Object({ sku: Sku }),
        body: Type.Object(
          { quantity: Type.Integer({ minimum: 0, maximum: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: Cart },
      },
      handler: async (request) => {
        const customerId = owner(request.identity)
        if (request.body.quantity === 0) await carts.remove(customerId, request.params.sku)
        else {
          const price = await prices.get(request.params.sku)
          if (price?.status !== 'active') throw CartErrors.unknownSku(request.params.sku)
          await carts.set(customerId, request.params.sku, request.body.quantity)
        }
        return view(customerId)
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/cart/items/:sku',
      summary: 'Remove a SKU from your cart',
      auth: CUSTOMERS,
      schema: { params: Type.Object({ sku: Sku }), response: { 200: Cart } },
      handler: async (request) => {
        const customerId = owner(request.identity)
        if (!(await carts.remove(customerId, request.params.sku)))
          throw CartErrors.notInCart(request.params.sku)
        return view(customerId)
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/cart/checkout',
      summary: 'Check the cart out into an order (Idempotency-Key required): 202 with the order id',
      auth: CUSTOMERS,
      schema: {
        body: Type.Object(
          {
            shipping: Type.Object(
              {
                country: Type.String({ pattern: '^[A-Z]{2}$' }),
                option: Type.String({ pattern: '^[a-z-]{1,30}$' }),
              },
              { additionalProperties: false },
            ),
            paymentToken: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ orderId: Type.String(), status: Type.String() }) },
      },
      handler: async (request, reply) => {
        const customerId = owner(request.identity)
        const header = request.headers[IDEMPOTENCY_HEADER]
        const key = Array.isArray(header) ? header[0] : header
        if (!key || !/^[\x21-\x7e]{1,200}$/.test(key)) throw CartErrors.keyRequired()
        reply.code(202)
        const done = await carts.checkout(customerId, key)
        if (done) return { orderId: done, status: 'PENDING' }
        const lines = await carts.lines(customerId)
        if (lines.length === 0) throw CartErrors.empty()
        let placed: { id: string; status: string }
        try {
          // The order service keys the order by customer and key too: a retry after a lost answer is the same order.
          placed = await order.post<{ id: string; status: string }>('/checkouts', {
            body: {
              customerId,
              idempotencyKey: `cart:${key}`,
              order: {
                items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
                shipping: request.body.shipping,
                ...(request.body.paymentToken ? { paymentToken: request.body.paymentToken } : {}),
              },
            },
            idempotent: true,
          })
        } catch (error) {
          if (isTrellisError(error) && error.status >= 400 && error.status < 500) throw error
          throw CartErrors.dependencyDown('order')
        }
        await db.tx(async (tx) => {
          const store = new CartStore(tx)
          await store.recordCheckout(customerId, key, placed.id)
          await store.clear(customerId)
        })
        return { orderId: placed.id, status: placed.status }
      },
    }),
  ]
}
