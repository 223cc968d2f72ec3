/** A stock record as the API shows it; `available` and `lowStock` are derived, never stored. */
export interface StockLevel {
  sku: string
  onHand: number
  reserved: number
  available: number
  lowStockThreshold: number
  lowStock: boolean
  version: number
  updatedAt: string
}

export function toStockLevel(row: {
  sku: string
  on_hand: number
  reserved: number
  low_stock_threshold: number
  version: number
  updated_at: Date
}): StockLevel {
  const available = row.on_hand - row.reserved
  return {
    sku: row.sku,
    onHand: row.on_hand,
    reserved: row.reserved,
    available,
    lowStockThreshold: row.low_stock_threshold,
    lowStock: available <= row.low_stock_threshold,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Whether an adjustment keeps on_hand at or above what is reserved (and so never below zero). */
export function canAdjust(level: Pick<StockLevel, 'onHand' | 'reserved'>, delta: number): boolean {
  return level.onHand + delta >= level.reserved
}
