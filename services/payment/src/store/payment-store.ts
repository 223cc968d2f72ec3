import { randomUUID } from 'node:crypto'
import type { Queryable } from '@trellis/kit'
import { PaymentErrors } from '../errors.js'

export interface Payment {
  id: string
  orderId: string
  customerId: string | null
  amountCents: number
  currency: string
  status: 'declined' | 'authorized' | 'captured' | 'voided' | 'refunded'
  declineReason: string | null
  captureCount: number
  refundCount: number
  createdAt: string
  updatedAt: string
}

interface Row {
  id: string
  order_id: string
  customer_id: string | null
  amount_cents: number
  currency: string
  status: Payment['status']
  decline_reason: string | null
  capture_count: number
  refund_count: number
  created_at: Date
  updated_at: Date
}

const toPayment = (r: Row): Payment => ({
  id: r.id,
  orderId: r.order_id,
  customerId: r.customer_id,
  amountCents: r.amount_cents,
  currency: r.currency,
  status: r.status,
  declineReason: r.decline_reason,
  captureCount: r.capture_count,
  refundCount: r.refund_count,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

/**
 * Payments, one per order: every operation is keyed by the order, so a
 * repeated authorize, capture or refund finds the payment in the state it
 * asked for and changes nothing (no double charge, no double refund).
 */
export class PaymentStore {
  constructor(private readonly db: Queryable) {}

  async authorize(input: {
    orderId: string
    customerId: string | null
    amountCents: number
    currency: string
    declineReason: string | null
  }): Promise<{ payment: Payment; created: boolean }> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO payments (id, order_id, customer_id, amount_cents, currency, status, decline_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [
        randomUUID(),
        input.orderId,
        input.customerId,
        input.amountCents,
        input.currency,
        input.declineReason ? 'declined' : 'authorized',
        input.declineReason,
      ],
    )
    if (rows[0]) {
      await this.log(rows[0].id, 'authorize', rows[0].status)
      return { payment: toPayment(rows[0]), created: true }
    }
    return { payment: (await this.byOrder(input.orderId, true))!, created: false }
  }

  /** Captures an authorized payment once; a captured one is returned as it is. */
  async capture(orderId: string): Promise<Payment> {
    const { rows } = await this.db.query<Row>(
      `UPDATE payments SET status = 'captured', capture_count = capture_count + 1, updated_at = now()
       WHERE order_id = $1 AND status = 'authorized' RETURNING *`,
      [orderId],
    )
    if (rows[0]) {
      await this.log(rows[0].id, 'capture', 'captured')
      return toPayment(rows[0])
    }
    const current = await this.byOrder(orderId)
    if (!current) throw PaymentErrors.notFound(orderId)
    if (current.status === 'captured') return current
    throw PaymentErrors.invalidState(orderId, current.status, 'capture')
  }

  /** Gives the money back: voids an authorization, refunds a capture; nothing when there is nothing (safe to repeat). */
  async cancel(orderId: string): Promise<Payment | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE payments SET
         status = CASE status WHEN 'authorized' THEN 'voided' ELSE 'refunded' END,
         refund_count = refund_count + CASE status WHEN 'captured' THEN 1 ELSE 0 END,
         updated_at = now()
       WHERE order_id = $1 AND status IN ('authorized', 'captured') RETURNING *`,
      [orderId],
    )
    if (rows[0]) await this.log(rows[0].id, 'cancel', rows[0].status)
    return rows[0] ? toPayment(rows[0]) : this.byOrder(orderId)
  }

  async byOrder(orderId: string, forUpdate = false): Promise<Payment | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM payments WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [orderId],
    )
    return rows[0] && toPayment(rows[0])
  }

  async get(id: string): Promise<Payment | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM payments WHERE id = $1', [id])
    return rows[0] && toPayment(rows[0])
  }

  private async log(paymentId: string, operation: string, outcome: string) {
    await this.db.query(
      'INSERT INTO payment_operations (payment_id, operation, outcome) VALUES ($1, $2, $3)',
      [paymentId, operation, outcome],
    )
  }
}
