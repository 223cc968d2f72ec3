import { randomUUID } from 'node:crypto'
import type { Queryable } from '@trellis/kit'

export interface Shipment {
  id: string
  orderId: string
  country: string
  option: string
  weightGrams: number
  priceCents: number
  status: 'created' | 'cancelled' | 'dispatched'
  createdAt: string
  updatedAt: string
}

interface Row {
  id: string
  order_id: string
  country: string
  option: string
  weight_grams: number
  price_cents: number
  status: Shipment['status']
  created_at: Date
  updated_at: Date
}

const toShipment = (r: Row): Shipment => ({
  id: r.id,
  orderId: r.order_id,
  country: r.country,
  option: r.option,
  weightGrams: r.weight_grams,
  priceCents: r.price_cents,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

/** Shipments keyed by order: creating twice returns the first; cancelling twice changes nothing. */
export class ShipmentStore {
  constructor(private readonly db: Queryable) {}

  async create(input: Omit<Shipment, 'id' | 'status' | 'createdAt' | 'updatedAt'>): Promise<Shipment> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO shipments (id, order_id, country, option, weight_grams, price_cents, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'created') ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [randomUUID(), input.orderId, input.country, input.option, input.weightGrams, input.priceCents],
    )
    return rows[0] ? toShipment(rows[0]) : (await this.byOrder(input.orderId))!
  }

  /** Cancels the order's shipment unless it is dispatched; returns it as it is after. */
  async cancel(orderId: string): Promise<Shipment | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE shipments SET status = 'cancelled', updated_at = now() WHERE order_id = $1 AND status = 'created' RETURNING *`,
      [orderId],
    )
    return rows[0] ? toShipment(rows[0]) : this.byOrder(orderId)
  }

  async dispatch(id: string): Promise<Shipment | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE shipments SET status = 'dispatched', updated_at = now() WHERE id = $1 AND status = 'created' RETURNING *`,
      [id],
    )
    return rows[0] ? toShipment(rows[0]) : this.get(id)
  }

  async byOrder(orderId: string): Promise<Shipment | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM shipments WHERE order_id = $1', [orderId])
    return rows[0] && toShipment(rows[0])
  }

  async get(id: string): Promise<Shipment | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM shipments WHERE id = $1', [id])
    return rows[0] && toShipment(rows[0])
  }
}
