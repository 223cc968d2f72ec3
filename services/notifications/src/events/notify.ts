import type { Envelope, EventHandler, Queryable } from '@trellis/kit'

async function log(
  tx: Queryable,
  event: Envelope,
  recipient: string,
  kind: string,
  subject: string,
  ref: string,
) {
  await tx.query(
    'INSERT INTO notifications (event_id, recipient, kind, subject, ref) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING',
    [event.id, recipient, kind, subject, ref],
  )
}

type OrderEvent = { orderId: string; customerId: string; reason?: string }

/** Choreography: the order service announces outcomes; this service tells people, unknown to it. */
export const onOrderApproved: EventHandler<OrderEvent> = async (event, { tx }) =>
  log(
    tx,
    event,
    event.data.customerId,
    'order-approved',
    `Your order ${event.data.orderId} is confirmed`,
    event.data.orderId,
  )

export const onOrderRejected: EventHandler<OrderEvent> = async (event, { tx }) =>
  log(
    tx,
    event,
    event.data.customerId,
    'order-rejected',
    `Your order ${event.data.orderId} could not be placed: ${event.data.reason ?? 'unknown'}`,
    event.data.orderId,
  )

export const onOrderCancelled: EventHandler<OrderEvent> = async (event, { tx }) =>
  log(
    tx,
    event,
    event.data.customerId,
    'order-cancelled',
    `Your order ${event.data.orderId} is cancelled`,
    event.data.orderId,
  )

export const onStockLow: EventHandler<{ sku: string; available: number }> = async (event, { tx }) =>
  log(
    tx,
    event,
    'merchants',
    'stock-low',
    `${event.data.sku} is low: ${event.data.available} left`,
    event.data.sku,
  )
