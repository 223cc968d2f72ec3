import type { Queryable } from '@trellis/kit'
import { canAdjust, type StockLevel, toStockLevel } from '../domain/stock.js'
import { InventoryErrors } from '../errors.js'

const COLUMNS = 'sku, on_hand, reserved, low_stock_threshold, version, updated_at'

type Row = Parameters<typeof toStockLevel>[0]

export interface Movement {
  id: number
  delta: number
  reason: string
  onHandAfter: number
  requestId: string | null
  createdAt: string
}

export class StockStore {
  constructor(private readonly db: Queryable) {}

  /** Stock of `owner` (every owner when null), by SKU. */
  async list(options: {
    lowStock?: boolean
    limit: number
    after?: string
    owner: string | null
  }): Promise<{ items: StockLevel[]; nextCursor: string | null }> {
    const where: string[] = []
    const params: unknown[] = []
    if (options.owner !== null) {
      params.push(options.owner)
      where.push(`owner_merchant_id = $${params.length}`)
    }
    if (options.lowStock !== undefined)
      where.push(`(on_hand - reserved <= low_stock_threshold) = ${options.lowStock ? 'true' : 'false'}`)
    if (options.after) {
      params.push(options.after)
      where.push(`sku > $${params.length}`)
    }
    params.push(options.limit + 1)
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM stock_items ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY sku LIMIT $${params.length}`,
      params,
    )
    const page = rows.slice(0, options.limit).map(toStockLevel)
    return {
      items: page,
      nextCursor: rows.length > options.limit ? Buffer.from(page.at(-1)!.sku).toString('base64url') : null,
    }
  }

  /** The record, when it exists and belongs to `owner` (any owner when null). */
  async get(sku: string, owner: string | null): Promise<StockLevel | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM stock_items WHERE sku = $1 AND ($2::uuid IS NULL OR owner_merchant_id = $2)`,
      [sku, owner],
    )
    return rows[0] && toStockLevel(rows[0])
  }

  /**
   * Creates the record for `newOwner`, or changes the threshold of one that
   * belongs to `owner` (any owner when null), and, when given, sets on_hand
   * (logged as a movement). Another owner's record is not found.
   */
  async put(
    sku: string,
    lowStockThreshold: number,
    onHand: number | undefined,
    requestId: string,
    access: { owner: string | null; newOwner: string | null },
  ): Promise<{ level: StockLevel; created: boolean }> {
    const { rows } = await this.db.query<Row & { inserted: boolean }>(
      `INSERT INTO stock_items (sku, on_hand, low_stock_threshold, owner_merchant_id) VALUES ($1, COALESCE($3, 0), $2, $4)
       ON CONFLICT (sku) DO UPDATE SET low_stock_threshold = EXCLUDED.low_stock_threshold, version = stock_items.version + 1, updated_at = now()
       WHERE $5::uuid IS NULL OR stock_items.owner_merchant_id = $5
       RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
      [sku, lowStockThreshold, onHand ?? null, access.newOwner, access.owner],
    )
    const row = rows[0]
    if (!row) throw InventoryErrors.skuNotFound(sku)
    if (row.inserted) {
      if (onHand) await this.record(sku, onHand, 'initial stock', onHand, requestId)
      return { level: toStockLevel(row), created: true }
    }
    if (onHand !== undefined && onHand !== row.on_hand) {
      return {
        level: await this.adjust(sku, onHand - row.on_hand, 'stock count', requestId, access.owner),
        created: false,
      }
    }
    return { level: toStockLevel(row), created: false }
  }

  /** Creates an empty stock record for `owner` unless the SKU has one; true when it created one. */
  async ensure(sku: string, owner: string | null): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO stock_items (sku, owner_merchant_id) VALUES ($1, $2) ON CONFLICT (sku) DO NOTHING',
      [sku, owner],
    )
    return (rowCount ?? 0) > 0
  }

  /** Changes on_hand by delta atomically; refuses to go below what is reserved. Another owner's SKU is not found. */
  async adjust(
    sku: string,
    delta: number,
    reason: string,
    requestId: string,
    owner: string | null,
  ): Promise<StockLevel> {
    const { rows } = await this.db.query<Row>(
      `UPDATE stock_items SET on_hand = on_hand + $2, version = version + 1, updated_at = now()
       WHERE sku = $1 AND on_hand + $2 >= reserved AND ($3::uuid IS NULL OR owner_merchant_id = $3) RETURNING ${COLUMNS}`,
      [sku, delta, owner],
    )
    const row = rows[0]
    if (!row) {
      const current = await this.get(sku, owner)
      if (!current) throw InventoryErrors.skuNotFound(sku)
      if (!canAdjust(current, delta)) throw InventoryErrors.insufficientStock(sku, current.available, delta)
      throw InventoryErrors.skuNotFound(sku)
    }
    await this.record(sku, delta, reason, row.on_hand, requestId)
    return toStockLevel(row)
  }

  async movements(sku: string, limit: number): Promise<Movement[]> {
    const { rows } = await this.db.query<{
      id: string
      delta: number
      reason: string
      on_hand_after: number
      request_id: string | null
      created_at: Date
    }>(
      'SELECT id, delta, reason, on_hand_after, request_id, created_at FROM stock_movements WHERE sku = $1 ORDER BY id DESC LIMIT $2',
      [sku, limit],
    )
    return rows.map((r) => ({
      id: Number(r.id),
      delta: r.delta,
      reason: r.reason,
      onHandAfter: r.on_hand_after,
      requestId: r.request_id,
      createdAt: r.created_at.toISOString(),
    }))
  }

  private async record(
    sku: string,
    delta: number,
    reason: string,
    onHandAfter: number,
    requestId: string,
  ): Promise<void> {
    await this.db.query(
      'INSERT INTO stock_movements (sku, delta, reason, on_hand_after, request_id) VALUES ($1, $2, $3, $4, $5)',
      [sku, delta, reason, onHandAfter, requestId],
    )
  }
}
