import { eventually, http } from '@trellis/testing'

/**
 * The place-order invariants, checked from the outside after a run: it
 * reads only the services' public and admin APIs through the gateway (as an
 * admin), never their databases.
 *
 * - every accepted order exists (none lost) and reaches a terminal state
 *   within `boundMs`: APPROVED, REJECTED or CANCELLED;
 * - APPROVED: its stock committed (every line), its payment captured once
 *   and never refunded, exactly one live shipment;
 * - REJECTED / CANCELLED: its stock released (or never reserved), its
 *   payment never captured or else refunded, no live shipment;
 * - never a double charge (a capture count above one), never stock below
 *   zero, never a reservation left held for an order that has ended (per
 *   SKU, the reserved count equals the live reservations).
 */
export interface CheckOptions {
  gateway: string
  /** An admin's headers. */
  admin: Record<string, string>
  /** Ids of the orders the run had accepted (202). */
  accepted: string[]
  /** How long orders may take to reach a terminal state once faults have stopped. */
  boundMs?: number
}

export interface OrderSummary {
  id: string
  status: string
  reason: string | null
  items: Array<{ sku: string; quantity: number }>
}

const TERMINAL = new Set(['APPROVED', 'REJECTED', 'CANCELLED'])
const LIVE_SHIPMENT = new Set(['created', 'dispatched'])

export async function checkInvariants(options: CheckOptions): Promise<{
  violations: string[]
  orders: OrderSummary[]
}> {
  const get = async (path: string) => {
    let res = await http(`${options.gateway}${path}`, { headers: options.admin })
    // A rate-limited read waits as told and tries again (a few times).
    for (let tries = 0; res.status === 429 && tries < 5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000 * Number(res.body?.retryAfter ?? 1)))
      res = await http(`${options.gateway}${path}`, { headers: options.admin })
    }
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  const violations: string[] = []
  const orders = new Map<string, OrderSummary>()

  // Every accepted order, terminal within the bound.
  await eventually(
    async () => {
      for (const id of options.accepted) {
        if (orders.has(id) && TERMINAL.has(orders.get(id)!.status)) continue
        const res = await http(`${options.gateway}/api/orders/${id}`, { headers: options.admin })
        if (res.status === 404) return false
        if (res.status !== 200) return false
        orders.set(id, res.body)
        if (!TERMINAL.has(res.body.status)) return false
      }
      return true
    },
    options.boundMs ?? 60_000,
    'every accepted order in a terminal state',
  ).catch(() => undefined)
  for (const id of options.accepted) {
    const order = orders.get(id)
    if (!order) violations.push(`order ${id} was accepted but is lost`)
    else if (!TERMINAL.has(order.status)) violations.push(`order ${id} is still ${order.status}`)
  }

  for (const order of orders.values()) {
    if (!TERMINAL.has(order.status)) continue
    const [reservations, payments, shipments] = await Promise.all([
      get(`/api/inventory/reservations/${order.id}`),
      get(`/api/payment/payments?orderId=${order.id}`),
      get(`/api/shipping/shipments?orderId=${order.id}`),
    ])
    const held = reservations.items as Array<{ sku: string; quantity: number; status: string }>
    const payment = (
      payments.items as Array<{ status: string; captureCount: number; refundCount: number }>
    )[0]
    const ships = shipments.items as Array<{ status: string }>
    const live = ships.filter((s) => LIVE_SHIPMENT.has(s.status))
    const where = `order ${order.id} (${order.status}${order.reason ? `: ${order.reason}` : ''})`
    if (payment && payment.captureCount > 1)
      violations.push(`${where}: captured ${payment.captureCount} times`)
    if (payment && payment.refundCount > 1) violations.push(`${where}: refunded ${payment.refundCount} times`)
    if (order.status === 'APPROVED') {
      const committed = new Map(held.filter((r) => r.status === 'committed').map((r) => [r.sku, r.quantity]))
      for (const line of order.items)
        if (committed.get(line.sku) !== line.quantity)
          violations.push(`${where}: ${line.sku} × ${line.quantity} not committed (${JSON.stringify(held)})`)
      if (payment?.status !== 'captured' || payment.captureCount !== 1)
        violations.push(`${where}: payment ${JSON.stringify(payment)} is not captured once`)
      if (live.length !== 1 || ships.length !== 1)
        violations.push(`${where}: ${ships.length} shipments, ${live.length} live`)
    } else {
      const kept = held.filter((r) => r.status !== 'released')
      if (kept.length) violations.push(`${where}: stock not released ${JSON.stringify(kept)}`)
      if (payment && !['declined', 'voided', 'refunded'].includes(payment.status))
        violations.push(`${where}: payment left ${payment.status}`)
      if (payment && payment.captureCount > 0 && payment.status !== 'refunded')
        violations.push(`${where}: captured and not refunded`)
      if (live.length) violations.push(`${where}: ${live.length} live shipment(s)`)
    }
  }

  // Stock: never below zero, and no reservation leaked (held units are those of live reservations).
  const levels: Array<{ sku: string; onHand: number; reserved: number; available: number }> = []
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page = await get(`/api/inventory/stock?limit=200${cursor ? `&cursor=${cursor}` : ''}`)
    levels.push(...page.items)
    cursor = page.nextCursor
  }
  for (const s of levels)
    if (s.onHand < 0 || s.reserved < 0 || s.available < 0)
      violations.push(`stock ${s.sku} below zero: ${JSON.stringify(s)}`)
  const audit = await get('/api/inventory/reservations-audit')
  for (const a of audit.items as Array<{ sku: string; reserved: number; recorded: number }>)
    if (a.reserved !== a.recorded)
      violations.push(`stock ${a.sku}: ${a.reserved} reserved but live reservations hold ${a.recorded}`)
  return { violations, orders: [...orders.values()] }
}
