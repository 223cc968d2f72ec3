import { defineService } from '@trellis/kit'
import { CatalogPrices } from './clients/catalog-prices.js'
import { cartRoutes } from './http/cart-routes.js'

export const cart = defineService({
  name: 'cart',
  version: '0.1.0',
  description: "A customer's cart with current prices, checked out into an order.",
  dependsOn: ['catalog', 'order'],
  calls: { catalog: { timeoutMs: 1_000 }, order: { timeoutMs: 3_000 } },
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: (ctx) => cartRoutes(ctx.db, new CatalogPrices(ctx.client('catalog')), ctx.client('order')),
})
