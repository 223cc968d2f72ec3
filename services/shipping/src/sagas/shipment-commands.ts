import { type SagaCommands, SagaRefusal } from '@trellis/kit'
import { quote } from '../domain/rates.js'
import { ShipmentStore } from '../store/shipment-store.js'

interface ShipmentPayload {
  orderId: string
  country: string
  option: string
  weightGrams: number
}

/**
 * Shipping's part in the place-order saga: a shipment for the order, or its
 * cancellation. `outage()` lists destinations whose carrier is down right
 * now (a setting): a label cannot be made there, though the rate card still
 * quotes them.
 */
export function shipmentCommands(outage: () => Set<string>): SagaCommands {
  return {
    'create-shipment': async (p: ShipmentPayload, { tx }) => {
      const offer = quote(p.country, p.option, p.weightGrams)
      if (!offer)
        throw new SagaRefusal(`no ${p.option} shipping to ${p.country} for ${p.weightGrams} g`, 'no-carrier')
      if (outage().has(p.country))
        throw new SagaRefusal(`the carrier to ${p.country} is down: no label`, 'carrier-down')
      const shipment = await new ShipmentStore(tx).create({
        orderId: p.orderId,
        country: p.country,
        option: p.option,
        weightGrams: p.weightGrams,
        priceCents: offer.priceCents,
      })
      return { shipmentId: shipment.id, priceCents: shipment.priceCents }
    },
    // Undoes create-shipment. A dispatched shipment cannot be withdrawn: the refusal makes the saga try
    // again and shows in its history (an operator decides); the order service refuses to cancel dispatched orders.
    'cancel-shipment': async ({ orderId }: ShipmentPayload, { tx }) => {
      const shipment = await new ShipmentStore(tx).cancel(orderId)
      if (shipment?.status === 'dispatched')
        throw new SagaRefusal(`shipment ${shipment.id} is dispatched`, 'dispatched')
      return { status: shipment?.status ?? 'none' }
    },
  }
}
