import { defineService } from '@trellis/kit'
import { CatalogClient } from './clients/catalog-client.js'
import { InventoryClient } from './clients/inventory-client.js'
import { pageRoutes } from './http/page-routes.js'

export const storefront = defineService({
  name: 'storefront',
  version: '0.1.0',
  description: 'Product pages composed from catalog and inventory for the web storefront.',
  dependsOn: ['catalog', 'inventory'],
  // A page must answer a person quickly: the product itself may take a
  // while (it is the page), stock is optional and gets a short leash; when
  // it does not answer in time the page says "availability unknown".
  // TRELLIS_CALL_<DEPENDENCY>_<KEY> overrides any of these.
  calls: {
    catalog: { timeoutMs: 1_500 },
    inventory: { timeoutMs: 300, retries: 1 },
  },
  routes: (ctx) =>
    pageRoutes(new CatalogClient(ctx.client('catalog')), new InventoryClient(ctx.client('inventory'))),
})
