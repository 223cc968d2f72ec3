import type { StockAnswer } from '../clients/inventory-client.js'

export type Availability = 'in-stock' | 'low-stock' | 'out-of-stock' | 'unknown'

/** A SKU's availability from its stock answer; `unknown` when inventory did not answer. */
export function skuAvailability(answer: StockAnswer | undefined): {
  availability: Availability
  available: number | null
} {
  if (!answer || answer.kind === 'unknown') return { availability: 'unknown', available: null }
  if (answer.kind === 'untracked') return { availability: 'out-of-stock', available: 0 }
  const { available, lowStock } = answer.level
  if (available <= 0) return { availability: 'out-of-stock', available: 0 }
  return { availability: lowStock ? 'low-stock' : 'in-stock', available }
}

/**
 * A product's availability from its SKUs': in stock if any SKU can be
 * bought; unknown if none is known to be and some are unknown; out of stock
 * only when every SKU is known to be.
 */
export function productAvailability(skus: Availability[]): Availability {
  if (skus.some((a) => a === 'in-stock' || a === 'low-stock')) return 'in-stock'
  if (skus.some((a) => a === 'unknown')) return 'unknown'
  return 'out-of-stock'
}
