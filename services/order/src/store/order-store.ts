import type { Queryable } from '@trellis/kit'
import type { OrderLine, OrderStatus, ShippingChoice } from '../domain/order.js'

export interface Order {
  id: string
  customerId: string
  status: OrderStatus
  items: OrderLine[]
  goodsCents: number
  shipping: ShippingChoice
  amountCents: number
  currency: string
  reason: string | null
  failedStep: string | null
  shipped: boolean
  createdAt: string
  updatedAt: string
  decidedAt: string | null
}

interface Row {
  id: string
  customer_id: string
  idempotency_key: string
  fingerprint: string
  status: OrderStatus
  items: OrderLine[]
  goods_cents: number
  shipping: ShippingChoice
  amount_cents: number
  currency: string
  reason: string | null
  failed_step: string | null
  shipped_at: Date | null
  created_at: Date
  updated_at: Date
  decided_at: Date | null
}

const toOrder = (r: Row): Order => ({
  id: r.id,
  customerId: r.customer_id,
  status: r.status,
  items: r.items,
  goodsCents: r.goods_cents,
  shipping: r.shipping,
  amountCents: r.amount_cents,
  currency: r.currency,
  reason: r.reason,
  failedStep: r.failed_step,
  shipped: r.shipped_at !== null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  decidedAt: r.decided_at?.toISOString() ?? null,
})

export class OrderStore {
  constructor(private readonly db: Queryable) {}

  /** Inserts the order unless the customer already used the key; returns the key's order and whether it is new. */
  async insert(input: {
    id: string
    customerId: string
    idempotencyKey: string
    fingerprint: string
    items: OrderLine[]
    goodsCents: number
    shipping: ShippingChoice
    amountCents: number
    currency: string
  }): Promise<{ order: Order; fingerprint: string; created: boolean }> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO orders (id, customer_id, idempotency_key, fingerprint, status, items, goods_cents, shipping, amount_cents, currency)
       VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9)
       ON CONFLICT (customer_id, idempotency_key) DO NOTHING RETURNING *`,
      [
        input.id,
        input.customerId,
        input.idempotencyKey,
        input.fingerprint,
        JSON.stringify(input.items),
        input.goodsCents,
        JSON.stringify(input.shipping),
        input.amountCents,
        input.currency,
      ],
    )
    if (rows[0]) return { order: toOrder(rows[0]), fingerprint: input.fingerprint, created: true }
    const existing = await this.byKey(input.customerId, input.idempotencyKey)
    return { order: toOrder(existing!), fingerprint: existing!.fingerprint, created: false }
  }

  async byKey(customerId: string, key: string): Promise<Row | undefined> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM orders WHERE customer_id = $1 AND idempotency_key = $2',
      [customerId, key],
    )
    return rows[0]
  }

  /** The order if it belongs to `owner` (any owner when null). */
  async get(id: string, owner: string | null, forUpdate = false): Promise<Order | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM orders WHERE id = $1 AND ($2::text IS NULL OR customer_id = $2)${forUpdate ? ' FOR UPDATE' : ''}`,
      [id, owner],
    )
    return rows[0] && toOrder(rows[0])
  }

  async list(
    owner: string | null,
    options: { limit: number; after?: string; status?: string },
  ): Promise<Order[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM orders WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::uuid IS NULL OR id > $2)
         AND ($3::text IS NULL OR status = $3)
       ORDER BY id LIMIT $4`,
      [owner, options.after ?? null, options.status ?? null, options.limit],
    )
    return rows.map(toOrder)
  }

  async setStatus(id: string, status: OrderStatus): Promise<void> {
    await this.db.query('UPDATE orders SET status = $2, updated_at = now() WHERE id = $1', [id, status])
  }

  async decide(
    id: string,
    status: OrderStatus,
    reason: string | null,
    failedStep: string | null,
  ): Promise<Order | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE orders SET status = $2, reason = $3, failed_step = $4, updated_at = now(), decided_at = now()
       WHERE id = $1 RETURNING *`,
      [id, status, reason, failedStep],
    )
    return rows[0] && toOrder(rows[0])
  }

  async markShipped(id: string): Promise<void> {
    await this.db.query(
      'UPDATE orders SET shipped_at = COALESCE(shipped_at, now()), updated_at = now() WHERE id = $1',
      [id],
    )
  }

  async counts(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM orders GROUP BY status',
    )
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }
}
