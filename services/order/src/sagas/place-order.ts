import { defineSaga, type SagaDefinition, type SagaHookContext, type SagaInstance } from '@trellis/kit'
import type { PlaceOrderData } from '../domain/order.js'
import { OrderStore } from '../store/order-store.js'

/**
 * Placing an order, as a saga orchestrated by the order service (see
 * docs/sagas.md). Each step is a command to a participant; each has the
 * compensation that undoes it:
 *
 *   reserve-stock      inventory  ↔ release-stock   (gives back reserved or sold units)
 *   authorize-payment  payment    ↔ cancel-payment  (voids, or refunds a capture)
 *   create-shipment    shipping   ↔ cancel-shipment
 *   capture-payment    payment    ↔ cancel-payment  (refunds)
 *   commit-stock       inventory  (undone by release-stock)
 *
 * Completion approves the order. A failure anywhere compensates what was
 * done in reverse and rejects it; a cancel does the same and cancels it.
 */
export function placeOrderSaga(settings: { sagaStepTimeoutMs: number }): SagaDefinition<PlaceOrderData> {
  const saga = defineSaga<PlaceOrderData>({
    name: 'place-order',
    steps: [
      {
        name: 'reserve-stock',
        participant: 'inventory',
        action: 'reserve-stock',
        compensation: 'release-stock',
        payload: (d) => ({
          orderId: d.orderId,
          items: d.items.map(({ sku, quantity }) => ({ sku, quantity })),
        }),
      },
      {
        name: 'authorize-payment',
        participant: 'payment',
        action: 'authorize-payment',
        compensation: 'cancel-payment',
        payload: (d) => ({
          orderId: d.orderId,
          customerId: d.customerId,
          amountCents: d.amountCents,
          currency: d.currency,
          ...(d.paymentToken ? { token: d.paymentToken } : {}),
        }),
      },
      {
        name: 'create-shipment',
        participant: 'shipping',
        action: 'create-shipment',
        compensation: 'cancel-shipment',
        payload: (d) => ({ orderId: d.orderId, ...d.shipping }),
      },
      {
        name: 'capture-payment',
        participant: 'payment',
        action: 'capture-payment',
        compensation: 'cancel-payment',
        payload: (d) => ({ orderId: d.orderId }),
      },
      {
        name: 'commit-stock',
        participant: 'inventory',
        action: 'commit-stock',
        payload: (d) => ({ orderId: d.orderId, items: [] }),
      },
    ],
    // Cancelling an approved order undoes it all, until the shipment is dispatched (checked by the order service).
    cancellableAfterCompletion: () => true,
    onCompleted: async (instance: SagaInstance<PlaceOrderData>, { tx, publish }: SagaHookContext) => {
      const order = await new OrderStore(tx).decide(instance.id, 'APPROVED', null, null)
      await publish({
        type: 'order.order.approved',
        key: instance.id,
        data: {
          orderId: instance.id,
          customerId: instance.data.customerId,
          items: instance.data.items,
          amountCents: order?.amountCents ?? instance.data.amountCents,
        },
      })
    },
    onCompensating: async (instance, { tx }) => {
      const cancelled = instance.failure?.kind === 'cancelled'
      await new OrderStore(tx).setStatus(instance.id, cancelled ? 'CANCELLING' : 'REJECTING')
    },
    onCompensated: async (instance, { tx, publish }) => {
      const cancelled = instance.failure?.kind === 'cancelled'
      const reason = describeFailure(instance)
      await new OrderStore(tx).decide(
        instance.id,
        cancelled ? 'CANCELLED' : 'REJECTED',
        reason,
        instance.failure?.step ?? null,
      )
      await publish({
        type: cancelled ? 'order.order.cancelled' : 'order.order.rejected',
        key: instance.id,
        data: { orderId: instance.id, customerId: instance.data.customerId, reason },
      })
    },
  })
  // Read at each step, so that a change through the config server applies to the next step sent.
  Object.defineProperty(saga, 'timeoutMs', { get: () => settings.sagaStepTimeoutMs, enumerable: true })
  return saga
}

function describeFailure(instance: SagaInstance): string {
  const f = instance.failure
  if (!f) return 'unknown'
  if (f.kind === 'cancelled') return f.reason
  if (f.kind === 'timeout') return `${f.step}: ${f.reason}`
  return f.reason
}
