import { type AnyRoute, type Database, defineRoute, replyIdempotently, Type } from '@trellis/kit'
import { authorizeOutcome, isTestToken, type ProviderKnobs } from '../domain/provider.js'
import { PaymentErrors } from '../errors.js'
import { type Payment, PaymentStore } from '../store/payment-store.js'

const PaymentSchema = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  customerId: Type.Union([Type.String(), Type.Null()]),
  amountCents: Type.Integer(),
  currency: Type.String(),
  status: Type.String(),
  declineReason: Type.Union([Type.String(), Type.Null()]),
  captureCount: Type.Integer(),
  refundCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})
const OrderId = Type.String({ minLength: 1, maxLength: 200 })
const ADMINS = { roles: ['admin' as const], scopes: ['payment:read'] }

/**
 * The provider's HTTP API. Reads are for admins (and the invariant checks);
 * the operations are internal (other services call them; the saga uses
 * commands), each idempotent by its Idempotency-Key and by the order.
 */
export function paymentRoutes(db: Database, knobs: () => ProviderKnobs): AnyRoute[] {
  const payments = new PaymentStore(db)
  const found = (p: Payment | undefined, id: string) => {
    if (!p) throw PaymentErrors.notFound(id)
    return p
  }
  return [
    defineRoute({
      method: 'GET',
      url: '/payments',
      summary: "An order's payment (orderId=…)",
      auth: ADMINS,
      schema: {
        querystring: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(PaymentSchema) }) },
      },
      handler: async (request) => {
        const payment = await payments.byOrder(request.query.orderId)
        return { items: payment ? [payment] : [] }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/payments/:id',
      summary: 'One payment',
      auth: ADMINS,
      schema: {
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: PaymentSchema },
      },
      handler: async (request) => found(await payments.get(request.params.id), request.params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/payments',
      summary: 'Authorize an amount for an order (accepts Idempotency-Key); 402 when declined',
      access: 'internal',
      schema: {
        body: Type.Object(
          {
            orderId: OrderId,
            amountCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
            currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
            token: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: PaymentSchema, 200: PaymentSchema },
      },
      handler: async (request, reply) =>
        replyIdempotently(request, reply, db, async (tx) => {
          const settings = knobs()
          if (!settings.testTokens && isTestToken(request.body.token))
            throw PaymentErrors.testTokenRefused(String(request.body.token))
          const outcome = authorizeOutcome(request.body.token, settings)
          const { payment, created } = await new PaymentStore(tx).authorize({
            orderId: request.body.orderId,
            customerId: null,
            amountCents: request.body.amountCents,
            currency: request.body.currency ?? 'USD',
            declineReason: outcome === 'declined' ? 'card declined by the issuer' : null,
          })
          if (payment.status === 'declined') throw PaymentErrors.declined(payment.declineReason ?? 'declined')
          return { status: created ? 201 : 200, body: payment }
        }),
    }),
    defineRoute({
      method: 'POST',
      url: '/payments/by-order/:orderId/capture',
      summary: "Capture an order's authorized payment (once; a repeat returns it as captured)",
      access: 'internal',
      schema: { params: Type.Object({ orderId: OrderId }), response: { 200: PaymentSchema } },
      handler: async (request) => db.tx((tx) => new PaymentStore(tx).capture(request.params.orderId)),
    }),
    defineRoute({
      method: 'POST',
      url: '/payments/by-order/:orderId/refund',
      summary: "Void or refund an order's payment (a repeat changes nothing)",
      access: 'internal',
      schema: { params: Type.Object({ orderId: OrderId }), response: { 200: PaymentSchema } },
      handler: async (request) =>
        found(
          await db.tx((tx) => new PaymentStore(tx).cancel(request.params.orderId)),
          request.params.orderId,
        ),
    }),
  ]
}
