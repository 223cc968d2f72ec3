import { type SagaCommands, SagaRefusal } from '@trellis/kit'
import { type ReservationLine, ReservationStore } from '../store/reservation-store.js'

interface StockPayload {
  orderId: string
  items: ReservationLine[]
}

/**
 * Inventory's part in the place-order saga: hold stock, sell it, give it
 * back. Each runs in the transaction that records it and sends the reply.
 */
export const stockCommands: SagaCommands = {
  'reserve-stock': async ({ orderId, items }: StockPayload, { tx }) => {
    const { short } = await new ReservationStore(tx).reserve(orderId, items)
    if (short.length) throw new SagaRefusal(`not enough stock for ${short.join(', ')}`, 'out-of-stock')
    return { reserved: items.length }
  },
  'commit-stock': async ({ orderId }: StockPayload, { tx }) => ({
    committed: await new ReservationStore(tx).commit(orderId),
  }),
  // Undoes reserve-stock (and commit-stock): whatever the order holds or bought goes back.
  'release-stock': async ({ orderId }: StockPayload, { tx }) => ({
    released: await new ReservationStore(tx).release(orderId),
  }),
}
