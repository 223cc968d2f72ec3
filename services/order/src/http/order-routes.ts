import { randomUUID } from 'node:crypto'
import {
  type AnyRoute,
  type Database,
  defineRoute,
  IDEMPOTENCY_HEADER,
  type Identity,
  ownerScope,
  type SagaHandle,
  type Static,
  Type,
} from '@trellis/kit'
import type { Pricing } from '../clients/pricing.js'
import {
  fingerprint,
  normalizeLines,
  type OrderLine,
  type PlaceOrderData,
  weightOf,
} from '../domain/order.js'
import { OrderErrors } from '../errors.js'
import { type Order, OrderStore } from '../store/order-store.js'

const Sku = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,63}$' })
export const PlaceOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 100 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    shipping: Type.Object(
      { country: Type.String({ pattern: '^[A-Z]{2}$' }), option: Type.String({ pattern: '^[a-z-]{1,30}$' }) },
      { additionalProperties: false },
    ),
    /** The simulated provider's card token (tok_ok, tok_decline, tok_timeout in tests). */
    paymentToken: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' })),
  },
  { additionalProperties: false },
)
export type PlaceOrderRequest = Static<typeof PlaceOrderBody>

const OrderSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  status: Type.String(),
  items: Type.Array(
    Type.Object({ sku: Type.String(), quantity: Type.Integer(), priceCents: Type.Integer() }),
  ),
  goodsCents: Type.Integer(),
  shipping: Type.Object({
    country: Type.String(),
    option: Type.String(),
    weightGrams: Type.Integer(),
    priceCents: Type.Integer(),
  }),
  amountCents: Type.Integer(),
  currency: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  failedStep: Type.Union([Type.String(), Type.Null()]),
  shipped: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
})
const OrderView = Type.Object({
  ...OrderSchema.properties,
  /** Where the saga is: the step awaited, or null once it ended. */
  saga: Type.Union([
    Type.Object({
      status: Type.String(),
      step: Type.Union([Type.String(), Type.Null()]),
      attempt: Type.Integer(),
    }),
    Type.Null(),
  ]),
})
const Accepted = Type.Object({ id: Type.String(), status: Type.String() })
const CUSTOMERS = { roles: ['customer' as const, 'admin' as const], scopes: ['orders:write'] }
const READERS = { roles: ['customer' as const, 'admin' as const], scopes: ['orders:read'] }

export interface PlaceDeps {
  db: Database
  sagas: SagaHandle
  pricing: Pricing
}

/**
 * Places an order: prices it, stores it PENDING and starts its saga in one
 * transaction. The customer's Idempotency-Key names the order: the same key
 * gives the same order (a different body under it is refused).
 */
export async function placeOrder(
  deps: PlaceDeps,
  customerId: string,
  key: string,
  body: PlaceOrderRequest,
): Promise<{ order: Order; created: boolean }> {
  const lines = normalizeLines(body.items)
  const print = fingerprint({ lines, shipping: body.shipping, paymentToken: body.paymentToken ?? null })
  const store = new OrderStore(deps.db)
  const existing = await store.byKey(customerId, key)
  if (existing) {
    if (existing.fingerprint !== print) throw OrderErrors.keyReused(key, existing.id)
    return { order: (await store.get(existing.id, null))!, created: false }
  }
  const priced: OrderLine[] = []
  let currency = 'USD'
  for (const line of lines) {
    const sku = await deps.pricing.sku(line.sku)
    currency = sku.currency
    priced.push({ ...line, priceCents: sku.priceCents })
  }
  const weightGrams = weightOf(lines)
  const shippingCents = await deps.pricing.shippingPrice(
    body.shipping.country,
    body.shipping.option,
    weightGrams,
  )
  const goodsCents = priced.reduce((sum, l) => sum + l.priceCents * l.quantity, 0)
  const shipping = { ...body.shipping, weightGrams, priceCents: shippingCents }
  return deps.db.tx(async (tx) => {
    const inserted = await new OrderStore(tx).insert({
      id: randomUUID(),
      customerId,
      idempotencyKey: key,
      fingerprint: print,
      items: priced,
      goodsCents,
      shipping,
      amountCents: goodsCents + shippingCents,
      currency,
    })
    if (!inserted.created) {
      // Two placements with one key raced; the first one's order stands.
      if (inserted.fingerprint !== print) throw OrderErrors.keyReused(key, inserted.order.id)
      return { order: inserted.order, created: false }
    }
    const data: PlaceOrderData = {
      orderId: inserted.order.id,
      customerId,
      items: priced,
      amountCents: inserted.order.amountCents,
      currency,
      shipping,
      ...(body.paymentToken ? { paymentToken: body.paymentToken } : {}),
    }
    await deps.sagas.start(tx, 'place-order', inserted.order.id, data)
    return { order: inserted.order, created: true }
  })
}

function idempotencyKey(header: string | string[] | undefined): string {
  const key = Array.isArray(header) ? header[0] : header
  if (!key || !/^[\x21-\x7e]{1,200}$/.test(key)) throw OrderErrors.keyRequired()
  return key
}

function customerOf(identity: Identity | undefined): string {
  return ownerScope(identity, 'customer') ?? identity!.subject
}

export function orderRoutes(deps: PlaceDeps): AnyRoute[] {
  const orders = new OrderStore(deps.db)
  const view = async (order: Order) => {
    const saga = await deps.sagas.get(order.id)
    const steps = ['reserve-stock', 'authorize-payment', 'create-shipment', 'capture-payment', 'commit-stock']
    return {
      ...order,
      saga: saga
        ? {
            status: saga.status,
            step:
              saga.status === 'running' || saga.status === 'compensating' ? (steps[saga.step] ?? null) : null,
            attempt: saga.attempt,
          }
        : null,
    }
  }
  return [
    defineRoute({
      method: 'POST',
      url: '/orders',
      summary: 'Place an order (Idempotency-Key required): 202 with its id; the saga decides it',
      auth: CUSTOMERS,
      schema: { body: PlaceOrderBody, response: { 202: Accepted } },
      handler: async (request, reply) => {
        const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER])
        const { order, created } = await placeOrder(deps, customerOf(request.identity), key, request.body)
        reply.code(202).header('location', `/orders/${order.id}`)
        if (!created) reply.header('idempotent-replayed', 'true')
        return { id: order.id, status: order.status }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/checkouts',
      summary: "Place an order for a customer from their cart (the cart service's checkout)",
      access: 'internal',
      schema: {
        body: Type.Object(
          {
            customerId: Type.String({ minLength: 1, maxLength: 200 }),
            idempotencyKey: Type.String({ minLength: 1, maxLength: 200 }),
            order: PlaceOrderBody,
          },
          { additionalProperties: false },
        ),
        response: { 202: Accepted },
      },
      handler: async (request, reply) => {
        const { order } = await placeOrder(
          deps,
          request.body.customerId,
          request.body.idempotencyKey,
          request.body.order,
        )
        reply.code(202)
        return { id: order.id, status: order.status }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/orders/:id',
      summary: "An order: its state, and why it was rejected (the customer's own; an admin's any)",
      auth: READERS,
      schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: OrderView } },
      handler: async (request) => {
        const order = await orders.get(request.params.id, ownerScope(request.identity, 'customer'))
        if (!order) throw OrderErrors.notFound(request.params.id)
        return view(order)
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/orders',
      summary: 'Your orders (an admin: everyone’s), by id; after=<id> pages',
      auth: READERS,
      schema: {
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            after: Type.Optional(Type.String({ format: 'uuid' })),
            status: Type.Optional(
              Type.Union(
                ['PENDING', 'APPROVED', 'REJECTING', 'REJECTED', 'CANCELLING', 'CANCELLED'].map((s) =>
                  Type.Literal(s),
                ),
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(OrderSchema),
            counts: Type.Record(Type.String(), Type.Integer()),
          }),
        },
      },
      handler: async (request) => {
        const owner = ownerScope(request.identity, 'customer')
        const { limit, after, status } = request.query
        return {
          items: await orders.list(owner, {
            limit: limit ?? 100,
            ...(after ? { after } : {}),
            ...(status ? { status } : {}),
          }),
          counts: owner === null ? await orders.counts() : {},
        }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/orders/:id/cancel',
      summary:
        'Cancel an order before it ships: what its saga did is undone (202; GET shows CANCELLING, then CANCELLED)',
      auth: CUSTOMERS,
      schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 202: Accepted } },
      handler: async (request, reply) => {
        const owner = ownerScope(request.identity, 'customer')
        const order = await deps.db.tx(async (tx) => {
          const current = await new OrderStore(tx).get(request.params.id, owner, true)
          if (!current) throw OrderErrors.notFound(request.params.id)
          if (current.shipped) throw OrderErrors.notCancellable(current.id, 'it has shipped')
          if (current.status !== 'PENDING' && current.status !== 'APPROVED')
            throw OrderErrors.notCancellable(current.id, `it is ${current.status}`)
          await deps.sagas.cancel(tx, current.id, 'cancelled by the customer')
          return (await new OrderStore(tx).get(current.id, null))!
        })
        reply.code(202)
        return { id: order.id, status: order.status }
      },
    }),
  ]
}
