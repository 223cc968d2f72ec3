import type { EventHandler } from '@trellis/kit'
import { StockStore } from '../store/stock-store.js'

/** The part of `catalog.product.created` inventory reads (a tolerant reader: everything else is ignored). */
interface ProductCreated {
  /** The merchant that sells the product: it owns the new stock records. */
  merchantId?: string
  skus?: Array<{ sku: string }>
}

/**
 * A new product's SKUs get a stock record (nothing on hand yet), so stock
 * can be counted in as soon as the product exists. Runs in the inbox's
 * transaction: a redelivered event creates nothing twice, and a SKU that
 * already has a record keeps it. The records belong to the product's
 * merchant, so that merchant (and no other) can count its stock in.
 */
export const onProductCreated: EventHandler<ProductCreated> = async (event, { tx, log }) => {
  const store = new StockStore(tx)
  let created = 0
  const owner = /^[0-9a-f-]{36}$/.test(String(event.data.merchantId)) ? String(event.data.merchantId) : null
  for (const { sku } of event.data.skus ?? []) if (await store.ensure(sku, owner)) created += 1
  log.info({ productId: event.key, created }, 'stock records for a new product')
}
