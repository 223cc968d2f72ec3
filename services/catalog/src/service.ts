import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { merchantRoutes } from './http/merchant-routes.js'
import { productRoutes } from './http/product-routes.js'

export const CatalogSettings = defineSettings({
  defaultPageSize: setting(
    Type.Integer({ minimum: 1, maximum: 100 }),
    20,
    'Products per page when the client does not say.',
  ),
  maxPageSize: setting(Type.Integer({ minimum: 1, maximum: 500 }), 100, 'Largest page a client may ask for.'),
})

export const catalog = defineService({
  name: 'catalog',
  version: '0.1.0',
  description: 'Merchants, products with options, SKUs and prices.',
  settings: CatalogSettings,
  database: {
    migrations: new URL('../migrations', import.meta.url),
    seeds: new URL('../seeds', import.meta.url),
  },
  routes: ({ db, settings, publish }) => [...productRoutes(db, settings, publish), ...merchantRoutes(db)],
})
