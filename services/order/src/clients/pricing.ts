import { type CallParent, type DependencyClient, isTrellisError } from '@trellis/kit'
import { OrderErrors } from '../errors.js'

/** What the order reads of a catalog SKU (a tolerant reader). */
interface CatalogSku {
  sku: string
  status: string
  priceCents: number
  currency: string
}

interface ShippingOption {
  code: string
  priceCents: number
}

/**
 * Prices an order when it is placed: each SKU's current price from the
 * catalog, the shipping price from shipping. Prices are fixed in the order
 * from then on; the saga does not ask again.
 */
export class Pricing {
  constructor(
    private readonly catalog: DependencyClient,
    private readonly shipping: DependencyClient,
  ) {}

  async sku(sku: string, parent?: CallParent): Promise<CatalogSku> {
    try {
      const found = await this.catalog.get<CatalogSku>('/skus/:sku', {
        params: { sku },
        ...(parent ? { parent } : {}),
      })
      if (found.status !== 'active') throw OrderErrors.unknownSku(sku)
      return found
    } catch (error) {
      if (isTrellisError(error) && error.code === 'TRELLIS_CATALOG_SKU_NOT_FOUND')
        throw OrderErrors.unknownSku(sku)
      if (isTrellisError(error) && error.code.startsWith('TRELLIS_ORDER_')) throw error
      throw OrderErrors.dependencyDown('catalog')
    }
  }

  async shippingPrice(
    country: string,
    option: string,
    weightGrams: number,
    parent?: CallParent,
  ): Promise<number> {
    let options: ShippingOption[]
    try {
      const res = await this.shipping.get<{ items: ShippingOption[] }>('/options', {
        query: { country, weightGrams },
        ...(parent ? { parent } : {}),
      })
      options = res.items
    } catch {
      throw OrderErrors.dependencyDown('shipping')
    }
    const found = options.find((o) => o.code === option)
    if (!found) throw OrderErrors.noShipping(option, country)
    return found.priceCents
  }
}
