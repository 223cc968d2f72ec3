import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { onOrderApproved } from './events/on-order-approved.js'
import { onProductCreated } from './events/on-product-created.js'
import { reservationRoutes } from './http/reservation-routes.js'
import { stockRoutes } from './http/stock-routes.js'
import { stockCommands } from './sagas/stock-commands.js'

export const InventorySettings = defineSettings({
  defaultPageSize: setting(
    Type.Integer({ minimum: 1, maximum: 200 }),
    50,
    'Stock records per page when the client does not say.',
  ),
  maxPageSize: setting(
    Type.Integer({ minimum: 1, maximum: 1000 }),
    200,
    'Largest page a client may ask for.',
  ),
})

export const inventory = defineService({
  name: 'inventory',
  version: '0.1.0',
  description: 'Stock per SKU, adjustments, reservations for orders and low-stock flags.',
  settings: InventorySettings,
  database: {
    migrations: new URL('../migrations', import.meta.url),
    seeds: new URL('../seeds', import.meta.url),
  },
  routes: ({ db, settings }) => [...stockRoutes(db, settings), ...reservationRoutes(db)],
  subscribes: { 'catalog.product.created': onProductCreated, 'order.order.approved': onOrderApproved },
  // Its steps in the place-order saga (docs/sagas.md).
  commands: stockCommands,
})
