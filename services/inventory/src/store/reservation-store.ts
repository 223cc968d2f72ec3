import type { Queryable } from '@trellis/kit'

export interface ReservationLine {
  sku: string
  quantity: number
}

export interface Reservation extends ReservationLine {
  orderId: string
  status: 'reserved' | 'committed' | 'released'
  updatedAt: string
}

/**
 * Stock held for orders. Every change moves stock_items.reserved and
 * on_hand in the same statement as the reservation's status, and the
 * table's checks keep both at or above zero whatever happens.
 */
export class ReservationStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Holds every line or none: the SKUs whose available stock is short.
   * Rows are locked in SKU order, so concurrent orders cannot deadlock.
   */
  async reserve(orderId: string, lines: ReservationLine[]): Promise<{ short: string[] }> {
    const merged = merge(lines)
    const short: string[] = []
    for (const line of merged) {
      const { rowCount } = await this.db.query(
        `UPDATE stock_items SET reserved = reserved + $2, version = version + 1, updated_at = now()
         WHERE sku = $1 AND on_hand - reserved >= $2`,
        [line.sku, line.quantity],
      )
      if (!rowCount) short.push(line.sku)
    }
    if (short.length) return { short }
    await this.db.query(
      `INSERT INTO reservations (order_id, sku, quantity, status)
       SELECT $1, sku, q, 'reserved' FROM unnest($2::text[], $3::integer[]) AS l(sku, q)`,
      [orderId, merged.map((l) => l.sku), merged.map((l) => l.quantity)],
    )
    return { short }
  }

  /** Sells what the order holds: reserved → committed, taken from on_hand. */
  async commit(orderId: string): Promise<number> {
    const { rows } = await this.db.query<{ sku: string; quantity: number }>(
      `UPDATE reservations SET status = 'committed', updated_at = now()
       WHERE order_id = $1 AND status = 'reserved' RETURNING sku, quantity`,
      [orderId],
    )
    for (const row of sorted(rows))
      await this.db.query(
        `UPDATE stock_items SET on_hand = on_hand - $2, reserved = reserved - $2, version = version + 1, updated_at = now() WHERE sku = $1`,
        [row.sku, row.quantity],
      )
    await this.movements(rows, -1, `sold: order ${orderId}`)
    return rows.length
  }

  /** Gives back whatever the order holds or bought; nothing when it holds nothing (safe to repeat). */
  async release(orderId: string): Promise<number> {
    const { rows } = await this.db.query<{ sku: string; quantity: number; was: string }>(
      `UPDATE reservations r SET status = 'released', updated_at = now()
       FROM (SELECT order_id, sku, status AS was FROM reservations WHERE order_id = $1 AND status <> 'released' FOR UPDATE) p
       WHERE r.order_id = p.order_id AND r.sku = p.sku RETURNING r.sku, r.quantity, p.was`,
      [orderId],
    )
    for (const row of sorted(rows))
      await this.db.query(
        row.was === 'reserved'
          ? `UPDATE stock_items SET reserved = reserved - $2, version = version + 1, updated_at = now() WHERE sku = $1`
          : `UPDATE stock_items SET on_hand = on_hand + $2, version = version + 1, updated_at = now() WHERE sku = $1`,
        [row.sku, row.quantity],
      )
    await this.movements(
      rows.filter((r) => r.was === 'committed'),
      1,
      `returned: order ${orderId} cancelled`,
    )
    return rows.length
  }

  async forOrder(orderId: string): Promise<Reservation[]> {
    const { rows } = await this.db.query<{
      order_id: string
      sku: string
      quantity: number
      status: Reservation['status']
      updated_at: Date
    }>('SELECT * FROM reservations WHERE order_id = $1 ORDER BY sku', [orderId])
    return rows.map((r) => ({
      orderId: r.order_id,
      sku: r.sku,
      quantity: r.quantity,
      status: r.status,
      updatedAt: r.updated_at.toISOString(),
    }))
  }

  /** Totals for the invariant checks: units held by live reservations, per SKU. */
  async heldBySku(): Promise<Array<{ sku: string; reserved: number; recorded: number }>> {
    const { rows } = await this.db.query<{ sku: string; reserved: number; recorded: string }>(
      `SELECT s.sku, s.reserved, COALESCE(sum(r.quantity) FILTER (WHERE r.status = 'reserved'), 0) AS recorded
       FROM stock_items s LEFT JOIN reservations r ON r.sku = s.sku GROUP BY s.sku, s.reserved`,
    )
    return rows.map((r) => ({ sku: r.sku, reserved: r.reserved, recorded: Number(r.recorded) }))
  }

  private async movements(rows: Array<{ sku: string; quantity: number }>, sign: 1 | -1, reason: string) {
    for (const row of rows)
      await this.db.query(
        `INSERT INTO stock_movements (sku, delta, reason, on_hand_after)
         SELECT sku, $2, $3, on_hand FROM stock_items WHERE sku = $1`,
        [row.sku, sign * row.quantity, reason],
      )
  }
}

function merge(lines: ReservationLine[]): ReservationLine[] {
  const bySku = new Map<string, number>()
  for (const l of lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity)
  return sorted([...bySku].map(([sku, quantity]) => ({ sku, quantity })))
}

function sorted<T extends { sku: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
}
