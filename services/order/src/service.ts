import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { Pricing } from './clients/pricing.js'
import { onShipmentDispatched } from './events/on-shipment-dispatched.js'
import { orderRoutes } from './http/order-routes.js'
import { placeOrderSaga } from './sagas/place-order.js'

export const OrderSettings = defineSettings({
  sagaStepTimeoutMs: setting(
    Type.Integer({ minimum: 100, maximum: 3_600_000 }),
    30_000,
    'How long a place-order step may go unanswered before the order is rejected and compensated. Long enough for a participant to restart.',
  ),
})

export const order = defineService({
  name: 'order',
  version: '0.1.0',
  description: 'Orders, and the place-order saga across inventory, payment and shipping.',
  settings: OrderSettings,
  dependsOn: ['catalog', 'shipping'],
  calls: { catalog: { timeoutMs: 1_000 }, shipping: { timeoutMs: 1_000 } },
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: (ctx) =>
    orderRoutes({
      db: ctx.db,
      sagas: ctx.sagas,
      pricing: new Pricing(ctx.client('catalog'), ctx.client('shipping')),
    }),
  sagas: ({ settings }) => [placeOrderSaga(settings)],
  subscribes: { 'shipping.shipment.dispatched': onShipmentDispatched },
})
