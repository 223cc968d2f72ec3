import { defineService } from '@trellis/kit'
import { shippingRoutes } from './http/shipping-routes.js'
import { shipmentCommands } from './sagas/shipment-commands.js'

export const shipping = defineService({
  name: 'shipping',
  version: '0.1.0',
  description: 'Shipping options and prices by destination and weight; shipments for orders.',
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: ({ db, publish }) =>
    shippingRoutes(db, (tx, shipment) =>
      publish(tx, {
        type: 'shipping.shipment.dispatched',
        key: shipment.orderId,
        data: { orderId: shipment.orderId, shipmentId: shipment.id },
      }),
    ),
  commands: shipmentCommands,
})
