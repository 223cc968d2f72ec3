import type { EventHandler } from '@trellis/kit'
import { OrderStore } from '../store/order-store.js'

/** A dispatched shipment ends the time an order can be cancelled. */
export const onShipmentDispatched: EventHandler<{ orderId: string }> = async (event, { tx }) => {
  await new OrderStore(tx).markShipped(event.data.orderId)
}
