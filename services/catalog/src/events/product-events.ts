import type { EventDraft } from '@trellis/kit'
import type { Product } from '../store/product-store.js'

/**
 * What catalog announces about products, keyed by product id (a product's
 * events keep their order). Version 1 of each; consumers ignore fields they
 * do not know, and a change of meaning gets a new version.
 */
export const ProductEventTypes = {
  created: 'catalog.product.created',
  updated: 'catalog.product.updated',
  priceChanged: 'catalog.product.price-changed',
} as const

export interface SkuSnapshot {
  sku: string
  priceCents: number
  currency: string
}

export interface ProductCreated {
  productId: string
  merchantId: string
  name: string
  category: string
  status: 'active' | 'archived'
  skus: SkuSnapshot[]
}

export interface ProductUpdated {
  productId: string
  name: string
  category: string
  status: 'active' | 'archived'
  version: number
  /** Which of name, description, category, status changed. */
  changed: string[]
}

export interface PriceChanged {
  productId: string
  sku: string
  priceCents: number
  currency: string
  previousPriceCents: number
  previousCurrency: string
}

export function productCreated(product: Product): EventDraft<ProductCreated> {
  return {
    type: ProductEventTypes.created,
    key: product.id,
    data: {
      productId: product.id,
      merchantId: product.merchantId,
      name: product.name,
      category: product.category,
      status: product.status,
      skus: product.skus.map((s) => ({ sku: s.sku, priceCents: s.priceCents, currency: s.currency })),
    },
  }
}

export function productUpdated(product: Product, changed: string[]): EventDraft<ProductUpdated> {
  return {
    type: ProductEventTypes.updated,
    key: product.id,
    data: {
      productId: product.id,
      name: product.name,
      category: product.category,
      status: product.status,
      version: product.version,
      changed,
    },
  }
}

export function priceChanged(
  productId: string,
  now: SkuSnapshot,
  before: { priceCents: number; currency: string },
): EventDraft<PriceChanged> {
  return {
    type: ProductEventTypes.priceChanged,
    key: productId,
    data: {
      productId,
      sku: now.sku,
      priceCents: now.priceCents,
      currency: now.currency,
      previousPriceCents: before.priceCents,
      previousCurrency: before.currency,
    },
  }
}
