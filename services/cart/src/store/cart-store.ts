import type { Queryable } from '@trellis/kit'

export interface CartLine {
  sku: string
  quantity: number
  addedAt: string
}

export class CartStore {
  constructor(private readonly db: Queryable) {}

  async lines(customerId: string): Promise<CartLine[]> {
    const { rows } = await this.db.query<{ sku: string; quantity: number; added_at: Date }>(
      'SELECT sku, quantity, added_at FROM cart_items WHERE customer_id = $1 ORDER BY added_at, sku',
      [customerId],
    )
    return rows.map((r) => ({ sku: r.sku, quantity: r.quantity, addedAt: r.added_at.toISOString() }))
  }

  /** Sets a line's quantity (adds the line when new). */
  async set(customerId: string, sku: string, quantity: number): Promise<void> {
    await this.db.query(
      `INSERT INTO cart_items (customer_id, sku, quantity) VALUES ($1, $2, $3)
       ON CONFLICT (customer_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity`,
      [customerId, sku, quantity],
    )
  }

  async remove(customerId: string, sku: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM cart_items WHERE customer_id = $1 AND sku = $2', [
      customerId,
      sku,
    ])
    return (rowCount ?? 0) > 0
  }

  async clear(customerId: string): Promise<void> {
    await this.db.query('DELETE FROM cart_items WHERE customer_id = $1', [customerId])
  }

  async checkout(customerId: string, key: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ order_id: string }>(
      'SELECT order_id FROM checkouts WHERE customer_id = $1 AND idempotency_key = $2',
      [customerId, key],
    )
    return rows[0]?.order_id
  }

  async recordCheckout(customerId: string, key: string, orderId: string): Promise<void> {
    await this.db.query(
      'INSERT INTO checkouts (customer_id, idempotency_key, order_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [customerId, key, orderId],
    )
  }
}
