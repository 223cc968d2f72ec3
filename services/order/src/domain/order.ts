import { createHash } from 'node:crypto'

export type OrderStatus = 'PENDING' | 'APPROVED' | 'REJECTING' | 'REJECTED' | 'CANCELLING' | 'CANCELLED'

export const TERMINAL: ReadonlySet<OrderStatus> = new Set(['APPROVED', 'REJECTED', 'CANCELLED'])

export interface OrderLine {
  sku: string
  quantity: number
  priceCents: number
}

export interface ShippingChoice {
  country: string
  option: string
  weightGrams: number
  priceCents: number
}

/** What the place-order saga carries from step to step. */
export interface PlaceOrderData {
  orderId: string
  customerId: string
  items: OrderLine[]
  amountCents: number
  currency: string
  shipping: ShippingChoice
  paymentToken?: string
}

/** The catalogue has no weights yet: every unit counts as this much for shipping. */
export const GRAMS_PER_UNIT = 400

export function weightOf(items: Array<{ quantity: number }>): number {
  return items.reduce((sum, i) => sum + i.quantity, 0) * GRAMS_PER_UNIT
}

/** The same lines in any order, merged by SKU. */
export function normalizeLines(
  items: Array<{ sku: string; quantity: number }>,
): Array<{ sku: string; quantity: number }> {
  const bySku = new Map<string, number>()
  for (const i of items) bySku.set(i.sku, (bySku.get(i.sku) ?? 0) + i.quantity)
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, quantity]) => ({ sku, quantity }))
}

/** What makes two placements "the same order" for an Idempotency-Key. */
export function fingerprint(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex')
}
