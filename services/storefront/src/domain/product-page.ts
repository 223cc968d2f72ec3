import type { CatalogProduct } from '../clients/catalog-client.js'
import type { StockAnswer } from '../clients/inventory-client.js'
import { type Availability, productAvailability, skuAvailability } from './availability.js'

/**
 * The product page: the product (required: without it there is no page)
 * and optional parts, each of which may be missing. A missing part is
 * named in `degraded` and the page is still served. Reviews and
 * recommendations join as further optional parts: a field here, a client,
 * and a name for `degraded`.
 */
export interface ProductPage {
  product: Omit<CatalogProduct, 'skus'>
  skus: Array<CatalogProduct['skus'][number] & { availability: Availability; available: number | null }>
  availability: Availability
  /** Optional parts that could not be fetched in time: `availability` (inventory). */
  degraded: string[]
}

export function composeProductPage(product: CatalogProduct, stock: Map<string, StockAnswer>): ProductPage {
  const { skus, ...rest } = product
  const withStock = skus.map((s) => ({ ...s, ...skuAvailability(stock.get(s.sku)) }))
  const degraded = withStock.some((s) => s.availability === 'unknown') ? ['availability'] : []
  return {
    product: rest,
    skus: withStock,
    availability: productAvailability(withStock.map((s) => s.availability)),
    degraded,
  }
}
