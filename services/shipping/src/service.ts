import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { shippingRoutes } from './http/shipping-routes.js'
import { shipmentCommands } from './sagas/shipment-commands.js'

export const ShippingSettings = defineSettings({
  carrierOutage: setting(
    Type.String({ pattern: '^([A-Z]{2}(,[A-Z]{2})*)?$' }),
    '',
    'Destinations (comma-separated country codes) whose carrier is down: shipments there fail (for drills and tests).',
  ),
})

export const shipping = defineService({
  name: 'shipping',
  version: '0.1.0',
  description: 'Shipping options and prices by destination and weight; shipments for orders.',
  settings: ShippingSettings,
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: ({ db, publish }) =>
    shippingRoutes(db, (tx, shipment) =>
      publish(tx, {
        type: 'shipping.shipment.dispatched',
        key: shipment.orderId,
        data: { orderId: shipment.orderId, shipmentId: shipment.id },
      }),
    ),
  commands: ({ settings }) =>
    shipmentCommands(() => new Set(settings.carrierOutage.split(',').filter(Boolean))),
})
