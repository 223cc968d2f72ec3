import { CallErrors, type CallParent, type DependencyClient, isTrellisError } from '@trellis/kit'
import { StorefrontErrors } from '../errors.js'

/** What the storefront reads of a catalog product (a tolerant reader: other fields are ignored). */
export interface CatalogProduct {
  id: string
  merchantId: string
  name: string
  description: string
  category: string
  status: string
  options: Array<{ name: string; values: string[] }>
  skus: Array<{ sku: string; options: Record<string, string>; priceCents: number; currency: string }>
}

export interface CatalogSku {
  sku: string
  productId: string
  productName: string
  status: string
  options: Record<string, string>
  priceCents: number
  currency: string
}

const NOT_FOUND = new Set(['TRELLIS_CATALOG_PRODUCT_NOT_FOUND', 'TRELLIS_CATALOG_SKU_NOT_FOUND'])

/**
 * The catalog as the storefront needs it. The catalog is what a page is
 * about, so there is no fallback: not found is a 404, no answer a 503.
 */
export class CatalogClient {
  constructor(private readonly client: DependencyClient) {}

  async product(id: string, parent?: CallParent): Promise<CatalogProduct | undefined> {
    return this.read(() => this.client.get<CatalogProduct>('/products/:id', { params: { id }, parent }))
  }

  async sku(sku: string, parent?: CallParent): Promise<CatalogSku | undefined> {
    return this.read(() => this.client.get<CatalogSku>('/skus/:sku', { params: { sku }, parent }))
  }

  private async read<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call()
    } catch (error) {
      if (isTrellisError(error) && NOT_FOUND.has(error.code)) return undefined
      if (isTrellisError(error) && Object.values(CallErrors).some((e) => e.code === error.code))
        throw StorefrontErrors.catalogUnavailable(error.code)
      throw error
    }
  }
}
