import type { EventHandler } from '@trellis/kit'

/**
 * Choreography: when an order is approved, flag each SKU it bought that is
 * now at or below its low-stock threshold (once, until restocked above
 * it), and announce it. The order service does not know this happens.
 */
export const onOrderApproved: EventHandler<{ orderId: string; items?: Array<{ sku: string }> }> = async (
  event,
  { tx, publish },
) => {
  const skus = [...new Set((event.data.items ?? []).map((i) => i.sku))]
  if (skus.length === 0) return
  const { rows } = await tx.query<{ sku: string; available: number; threshold: number }>(
    `INSERT INTO low_stock_alerts (sku, available, threshold, order_id)
     SELECT sku, on_hand - reserved, low_stock_threshold, $2 FROM stock_items
     WHERE sku = ANY($1::text[]) AND on_hand - reserved <= low_stock_threshold
     ON CONFLICT (sku) DO NOTHING RETURNING sku, available, threshold`,
    [skus, event.data.orderId],
  )
  for (const row of rows)
    await publish({
      type: 'inventory.stock.low',
      key: row.sku,
      data: { ...row, orderId: event.data.orderId },
    })
  // Restocked SKUs lose their flag, so a later fall is flagged again.
  await tx.query(
    `DELETE FROM low_stock_alerts a USING stock_items s
     WHERE a.sku = s.sku AND s.on_hand - s.reserved > s.low_stock_threshold`,
  )
}
