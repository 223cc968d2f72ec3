import { type SagaCommands, SagaRefusal } from '@trellis/kit'
import { quote } from '../domain/rates.js'
import { ShipmentStore } from '../store/shipment-store.js'

interface ShipmentPayload {
  orderId: string
  country: string
  option: string
  weightGrams: number
}

/** Shipping's part in the place-order saga: a shipment for the order, or its cancellation. */
export const shipmentCommands: SagaCommands = {
  'create-shipment': async (p: ShipmentPayload, { tx }) => {
    const offer = quote(p.country, p.option, p.weightGrams)
    if (!offer)
      throw new SagaRefusal(`no ${p.option} shipping to ${p.country} for ${p.weightGrams} g`, 'no-carrier')
    const shipment = await new ShipmentStore(tx).create({
      orderId: p.orderId,
      country: p.country,
      option: p.option,
      weightGrams: p.weightGrams,
      priceCents: offer.priceCents,
    })
    return { shipmentId: shipment.id, priceCents: shipment.priceCents }
  },
  // Undoes create-shipment. A dispatched shipment cannot be withdrawn: the refusal makes the saga try again
  // and shows in its history (an operator decides); the order service refuses to cancel dispatched orders.
  'cancel-shipment': async ({ orderId }: ShipmentPayload, { tx }) => {
    const shipment = await new ShipmentStore(tx).cancel(orderId)
    if (shipment?.status === 'dispatched')
      throw new SagaRefusal(`shipment ${shipment.id} is dispatched`, 'dispatched')
    return { status: shipment?.status ?? 'none' }
  },
}
