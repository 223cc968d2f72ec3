import { CallErrors, type DependencyClient, isTrellisError } from '@trellis/kit'
import { CartErrors } from '../errors.js'

export interface SkuPrice {
  sku: string
  productName: string
  priceCents: number
  currency: string
  status: string
}

/** Current prices from the catalog; an unknown SKU is undefined. */
export class CatalogPrices {
  constructor(private readonly catalog: DependencyClient) {}

  async get(sku: string): Promise<SkuPrice | undefined> {
    try {
      return await this.catalog.get<SkuPrice>('/skus/:sku', { params: { sku } })
    } catch (error) {
      if (isTrellisError(error) && error.code === 'TRELLIS_CATALOG_SKU_NOT_FOUND') return undefined
      if (isTrellisError(error) && Object.values(CallErrors).some((e) => e.code === error.code))
        throw CartErrors.dependencyDown('catalog')
      throw error
    }
  }
}
