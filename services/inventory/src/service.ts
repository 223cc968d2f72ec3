import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { onProductCreated } from './events/on-product-created.js'
import { stockRoutes } from './http/stock-routes.js'

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
  description: 'Stock per SKU, adjustments and low-stock flags.',
  settings: InventorySettings,
  database: {
    migrations: new URL('../migrations', import.meta.url),
    seeds: new URL('../seeds', import.meta.url),
  },
  routes: ({ db, settings }) => stockRoutes(db, settings),
  subscribes: { 'catalog.product.created': onProductCreated },
})
