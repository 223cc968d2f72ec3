import { type AnyRoute, defineRoute, Type } from '@trellis/kit'
import type { CatalogClient } from '../clients/catalog-client.js'
import type { InventoryClient } from '../clients/inventory-client.js'
import { skuAvailability } from '../domain/availability.js'
import { composeProductPage } from '../domain/product-page.js'
import { StorefrontErrors } from '../errors.js'
import { ProductPage, SkuCode, SkuPage, Uuid } from './schemas.js'

/** Marks a degraded answer for caches and clients that do not read the body. */
const DEGRADED_HEADER = 'x-trellis-degraded'

export function pageRoutes(catalog: CatalogClient, inventory: InventoryClient): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/products/:id',
      summary: 'A product page: the product, its SKUs with prices and availability',
      auth: 'public',
      schema: { params: Type.Object({ id: Uuid }), response: { 200: ProductPage } },
      handler: async (request, reply) => {
        const product = await catalog.product(request.params.id, request)
        if (!product) throw StorefrontErrors.productNotFound(request.params.id)
        const stock = await inventory.stocks(
          product.skus.map((s) => s.sku),
          request,
        )
        const page = composeProductPage(product, stock)
        markDegraded(reply, page.degraded)
        return page
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/skus/:sku',
      summary: 'One SKU with its product, price and availability',
      auth: 'public',
      schema: { params: Type.Object({ sku: SkuCode }), response: { 200: SkuPage } },
      handler: async (request, reply) => {
        const [sku, stock] = await Promise.all([
          catalog.sku(request.params.sku, request),
          inventory.stock(request.params.sku, request),
        ])
        if (!sku) throw StorefrontErrors.skuNotFound(request.params.sku)
        const availability = skuAvailability(stock)
        const degraded = availability.availability === 'unknown' ? ['availability'] : []
        markDegraded(reply, degraded)
        return { ...sku, ...availability, degraded }
      },
    }),
  ]
}

function markDegraded(reply: { header(name: string, value: string): unknown }, degraded: string[]): void {
  if (degraded.length === 0) return
  reply.header(DEGRADED_HEADER, degraded.join(', '))
  reply.header('cache-control', 'no-store')
}
