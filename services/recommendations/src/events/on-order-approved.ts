import type { EventHandler } from '@trellis/kit'

/**
 * Choreography: an approved order counts toward what is bought together.
 * The order service publishes `order.order.approved` and knows nothing of
 * this; the inbox makes a redelivered event count once.
 */
export const onOrderApproved: EventHandler<{ items?: Array<{ sku: string; quantity: number }> }> = async (
  event,
  { tx },
) => {
  const items = event.data.items ?? []
  const skus = [...new Set(items.map((i) => i.sku))].sort()
  if (skus.length === 0) return
  await tx.query(
    `INSERT INTO sales (sku, units, orders)
     SELECT sku, sum(q), 1 FROM unnest($1::text[], $2::integer[]) AS l(sku, q) GROUP BY sku
     ON CONFLICT (sku) DO UPDATE SET units = sales.units + EXCLUDED.units, orders = sales.orders + 1`,
    [items.map((i) => i.sku), items.map((i) => i.quantity)],
  )
  const pairs = skus.flatMap((a) => skus.filter((b) => b !== a).map((b) => [a, b] as const))
  if (pairs.length === 0) return
  await tx.query(
    `INSERT INTO bought_together (sku, other_sku, orders)
     SELECT a, b, 1 FROM unnest($1::text[], $2::text[]) AS p(a, b)
     ON CONFLICT (sku, other_sku) DO UPDATE SET orders = bought_together.orders + 1`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  )
}
