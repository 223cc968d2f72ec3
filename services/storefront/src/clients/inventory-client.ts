import type { CallParent, DependencyClient } from '@trellis/kit'

/** What the storefront reads of a stock level. */
export interface StockLevel {
  sku: string
  available: number
  lowStock: boolean
}

/** A stock level, `untracked` when inventory has no record of the SKU, or `unknown` when inventory gave no answer. */
export type StockAnswer =
  | { kind: 'known'; level: StockLevel }
  | { kind: 'untracked' }
  | { kind: 'unknown'; reason: string }

const DEFAULTS = {
  // Stock reads per page at once: a product has a handful of SKUs, and a
  // page must not take the dependency's whole bulkhead.
  concurrency: 8,
}

/**
 * Inventory as the storefront needs it: optional. When inventory is dead,
 * slow or its circuit is open, the answer is `unknown` (the kit client's
 * fallback), never an error.
 */
export class InventoryClient {
  constructor(private readonly client: DependencyClient) {}

  async stock(sku: string, parent?: CallParent): Promise<StockAnswer> {
    try {
      const level = await this.client.get<StockLevel | { unknownBecause: string }>('/availability/:sku', {
        params: { sku },
        parent,
        fallback: (error) => ({ unknownBecause: error.code }),
      })
      return 'unknownBecause' in level
        ? { kind: 'unknown', reason: level.unknownBecause }
        : { kind: 'known', level }
    } catch (error) {
      // An answer that says no: the SKU has no stock record, or inventory refused the request.
      const code = (error as { code?: string }).code ?? 'error'
      return code === 'TRELLIS_INVENTORY_SKU_NOT_FOUND'
        ? { kind: 'untracked' }
        : { kind: 'unknown', reason: code }
    }
  }

  /** The stock of several SKUs, a few at a time. */
  async stocks(skus: string[], parent?: CallParent): Promise<Map<string, StockAnswer>> {
    const answers = new Map<string, StockAnswer>()
    let next = 0
    const worker = async () => {
      while (next < skus.length) {
        const sku = skus[next++]!
        answers.set(sku, await this.stock(sku, parent))
      }
    }
    await Promise.all(Array.from({ length: Math.min(DEFAULTS.concurrency, skus.length) }, worker))
    return answers
  }
}
