import { randomUUID } from 'node:crypto'
import { eventually, http, signIn, startTestSystem, type TestSystem } from '@trellis/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { checkInvariants } from '../saga/invariants.js'

// The place-order saga in the running system, through the gateway: every
// failure point, duplicates, kill -9 of the orchestrator and of each
// participant mid-saga, a rush on the last units. The invariant checker
// (tests/saga/invariants.ts) reads every service's API after each.
let system: TestSystem
let admin: Record<string, string>
let alice: Record<string, string>
const accepted: string[] = []

/** A step unanswered this long rejects the order: longer than a participant's restart, short for a test. */
const STEP_TIMEOUT_MS = 10_000

beforeAll(async () => {
  system = await startTestSystem({
    postgresUrl: inject('postgresUrl'),
    databasePrefix: `s${process.pid}_`,
    env: {
      TRELLIS_ORDER_SAGA_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
      TRELLIS_SAGAS_POLL_MS: '100',
      // A killed instance's claimed messages come back after the lease; the orchestrator's resume grace
      // must outlast it (defaults 15 s and 20 s; shortened for the test).
      TRELLIS_MESSAGING_LEASE_MS: '3000',
      TRELLIS_SAGAS_RESUME_GRACE_MS: '6000',
      // One client drives every order and every check here; the gateway's limits are tested elsewhere.
      TRELLIS_GATEWAY_RATE_LIMIT_IP_PER_S: '0',
      TRELLIS_GATEWAY_RATE_LIMIT_CLIENT_PER_S: '0',
      // Labels cannot be made for France: the shipment step fails there.
      TRELLIS_SHIPPING_CARRIER_OUTAGE: 'FR',
    },
  })
  await system.waitReady(90_000)
  const login = async (email: string, password: string) =>
    (await signIn(system.urls.gateway, email, password)).headers
  admin = await login('admin@trellis.local', 'admin-demo-pass')
  alice = await login('alice@example.com', 'customer-demo-pass')
}, 120_000)
afterAll(() => system?.stop())

const gateway = (path: string, init?: Parameters<typeof http>[1]) =>
  http(`${system.urls.gateway}${path}`, init)

interface Placement {
  items?: Array<{ sku: string; quantity: number }>
  country?: string
  token?: string
  key?: string
  as?: Record<string, string>
}

async function place(p: Placement = {}) {
  const key = p.key ?? randomUUID()
  const res = await gateway('/api/orders', {
    headers: { ...(p.as ?? alice), 'idempotency-key': key },
    body: {
      items: p.items ?? [{ sku: 'SOCK-L', quantity: 1 }],
      shipping: { country: p.country ?? 'US', option: 'standard' },
      ...(p.token ? { paymentToken: p.token } : {}),
    },
  })
  if (res.status === 202) accepted.push(res.body.id)
  return { ...res, key }
}

const settle = (id: string, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const res = await gateway(`/api/orders/${id}`, { headers: alice })
      return ['APPROVED', 'REJECTED', 'CANCELLED'].includes(res.body.status) && res.body
    },
    timeoutMs,
    `order ${id} to end`,
  )

async function invariantsHold() {
  const { violations } = await checkInvariants({
    gateway: system.urls.gateway,
    admin,
    accepted,
    boundMs: 60_000,
  })
  expect(violations).toEqual([])
}

const instance = (key: string) => system.status().instances.find((i) => i.key === key)!
const waitRunning = (key: string) =>
  eventually(() => instance(key)?.ready === true, 60_000, `${key} ready again`)

describe('place-order saga', () => {
  it('approves an order: 202 at once, the same key gives the same order, GET shows it approved', async () => {
    const first = await place()
    expect(first.status).toBe(202)
    const again = await place({ key: first.key })
    expect(again.status).toBe(202)
    expect(again.body.id).toBe(first.body.id)
    const order = await settle(first.body.id)
    expect(order).toMatchObject({ status: 'APPROVED', reason: null, saga: { status: 'completed' } })
    // Someone else's order is not found; a different body under the same key is refused.
    const bob = await http(`${system.urls.gateway}/api/identity/login`, {
      body: { email: 'bob@example.com', password: 'customer-demo-pass' },
    })
    const asBob = { authorization: `Bearer ${bob.body.accessToken}` }
    expect((await gateway(`/api/orders/${first.body.id}`, { headers: asBob })).status).toBe(404)
    const reused = await place({ key: first.key, items: [{ sku: 'SOCK-L', quantity: 2 }] })
    expect(reused.status).toBe(422)
    expect((await gateway('/api/orders', { headers: alice, body: { items: [] } })).status).toBe(400)
    await invariantsHold()
  })

  it('rejects with the reason and compensates: declined payment, stock shortage, shipment failure', async () => {
    const declined = await place({ token: 'tok_decline' })
    const short = await place({ items: [{ sku: 'TEE-WHITE-L', quantity: 1 }] })
    const noLabel = await place({ country: 'FR' })
    expect((await settle(declined.body.id)).reason).toMatch(/declined/)
    expect(await settle(short.body.id)).toMatchObject({ status: 'REJECTED', failedStep: 'reserve-stock' })
    expect(await settle(noLabel.body.id)).toMatchObject({ status: 'REJECTED', failedStep: 'create-shipment' })
    await invariantsHold()
  })

  it('a payment whose answer never comes times out and is voided', async () => {
    const lost = await place({ token: 'tok_timeout' })
    const order = await settle(lost.body.id, STEP_TIMEOUT_MS * 4)
    expect(order).toMatchObject({ status: 'REJECTED', failedStep: 'authorize-payment' })
    expect(order.reason).toMatch(/no reply within/)
    const payments = await gateway(`/api/payment/payments?orderId=${lost.body.id}`, { headers: admin })
    expect(payments.body.items[0].status).toBe('voided')
    await invariantsHold()
  })

  it('cancels an approved order before it ships: refunded, shipment cancelled, stock back', async () => {
    const placed = await place({ items: [{ sku: 'JACKET-S', quantity: 2 }] })
    await settle(placed.body.id)
    const before = (await gateway('/api/inventory/stock/JACKET-S', { headers: admin })).body.onHand
    const cancel = await gateway(`/api/orders/${placed.body.id}/cancel`, { headers: alice, body: {} })
    expect(cancel.status).toBe(202)
    expect(await settle(placed.body.id)).toMatchObject({ status: 'CANCELLED' })
    expect((await gateway('/api/inventory/stock/JACKET-S', { headers: admin })).body.onHand).toBe(before + 2)
    const payment = (await gateway(`/api/payment/payments?orderId=${placed.body.id}`, { headers: admin }))
      .body
    expect(payment.items[0]).toMatchObject({ status: 'refunded', captureCount: 1, refundCount: 1 })
    expect((await gateway(`/api/orders/${placed.body.id}/cancel`, { headers: alice, body: {} })).status).toBe(
      409,
    )
    await invariantsHold()
  })

  it('has no second effect when a command is delivered twice', async () => {
    const placed = await place()
    await settle(placed.body.id)
    // Send every command of the saga again, as new messages, through the order service's own outbox.
    const db = new pg.Client({ connectionString: system.databases.get('order')! })
    await db.connect()
    try {
      await db.query(
        `INSERT INTO trellis_outbox (event_id, type, key, envelope)
         SELECT id, type, key, jsonb_set(envelope, '{id}', to_jsonb(id::text))
         FROM (SELECT gen_random_uuid() AS id, type, key, envelope FROM trellis_outbox
               WHERE key = $1 AND type LIKE '%.command.%' ORDER BY trellis_outbox.id) copies`,
        [placed.body.id],
      )
      await db.query(`SELECT pg_notify('trellis_outbox', '')`)
      await eventually(
        async () => (await db.query('SELECT 1 FROM trellis_outbox WHERE sent_at IS NULL')).rowCount === 0,
        20_000,
        'the copies sent',
      )
    } finally {
      await db.end()
    }
    const sagas = await eventually(
      async () => {
        const res = await http(`${orderUrl()}/sagas/${placed.body.id}`)
        return res.body.status === 'completed' && res.body
      },
      10_000,
      'saga',
    )
    expect(sagas.failure).toBeNull()
    await invariantsHold()
  })

  it('resumes after kill -9 of the order service mid-saga', async () => {
    const placements = await Promise.all(Array.from({ length: 4 }, () => place()))
    const inFlight = await Promise.all(
      placements.map(
        async (p) => (await gateway(`/api/orders/${p.body.id}`, { headers: alice })).body.status,
      ),
    )
    expect(system.kill('order-1')).toBe(true)
    await waitRunning('order-1')
    // The sagas go on from their last committed step: every order approved, none lost or doubled.
    for (const p of placements) {
      const { status, reason } = await settle(p.body.id)
      expect({ status, reason }).toEqual({ status: 'APPROVED', reason: null })
    }
    expect(inFlight.some((status) => status === 'PENDING')).toBe(true)
    await invariantsHold()
  })

  it.each(['inventory-1', 'payment-1', 'shipping-1'])(
    'keeps every order consistent through kill -9 of %s mid-saga',
    async (victim) => {
      const placements = await Promise.all(Array.from({ length: 6 }, () => place()))
      for (const p of placements) expect(p.status).toBe(202)
      expect(system.kill(victim)).toBe(true)
      // Placing prices the order with shipping's quote: while shipping is down that is a 503 (the
      // customer retries with the same key); other orders are accepted and wait for the participant.
      const during = await Promise.all(Array.from({ length: 3 }, () => place()))
      for (const p of during) expect(victim === 'shipping-1' ? [202, 503] : [202]).toContain(p.status)
      await waitRunning(victim)
      await invariantsHold()
    },
  )

  it('sells exactly the units there are when many orders rush for the last ones', async () => {
    const sku = 'BEANIE-RUST'
    const units = 3
    const set = await gateway(`/api/inventory/stock/${sku}`, {
      method: 'PUT',
      headers: admin,
      body: { lowStockThreshold: 1, onHand: units },
    })
    expect(set.status).toBe(200)
    const rush = await Promise.all(Array.from({ length: 15 }, () => place({ items: [{ sku, quantity: 1 }] })))
    const ended = await Promise.all(rush.map((r) => settle(r.body.id, 60_000)))
    expect(ended.filter((o) => o.status === 'APPROVED')).toHaveLength(units)
    expect(ended.filter((o) => o.status === 'REJECTED')).toHaveLength(15 - units)
    const stock = (await gateway(`/api/inventory/stock/${sku}`, { headers: admin })).body
    expect(stock).toMatchObject({ onHand: 0, reserved: 0 })
    // Choreography: inventory flagged the SKU low after the sale, without the order service knowing.
    const alerts = await eventually(
      async () => {
        const res = await gateway('/api/inventory/low-stock-alerts', { headers: admin })
        return res.body.items.find((a: { sku: string }) => a.sku === sku)
      },
      20_000,
      'low-stock flag',
    )
    expect(alerts.available).toBe(0)
    // … recommendations counted the sales, notifications told the customers.
    await eventually(
      async () =>
        (await gateway(`/api/recommendations/skus/${sku}/bought-together`)).body.sold?.orders === units,
      20_000,
      'sales counted',
    )
    const approvedId = rush[ended.findIndex((o) => o.status === 'APPROVED')]!.body.id
    const rejectedId = rush[ended.findIndex((o) => o.status === 'REJECTED')]!.body.id
    for (const [ref, kind] of [
      [approvedId, 'order-approved'],
      [rejectedId, 'order-rejected'],
    ])
      await eventually(
        async () =>
          (await gateway(`/api/notifications/notifications?ref=${ref}`, { headers: alice })).body.items?.[0]
            ?.kind === kind,
        20_000,
        `${kind} notification`,
      )
    await invariantsHold()
  })

  it('checks a cart out into an order through the gateway', async () => {
    expect(
      (await gateway('/api/cart/items/SOCK-L', { method: 'PUT', headers: alice, body: { quantity: 2 } }))
        .status,
    ).toBe(200)
    const cart = await gateway('/api/cart', { headers: alice })
    expect(cart.body.items).toMatchObject([{ sku: 'SOCK-L', quantity: 2, available: true }])
    expect(cart.body.totalCents).toBeGreaterThan(0)
    const checkout = await gateway('/api/cart/checkout', {
      headers: { ...alice, 'idempotency-key': randomUUID() },
      body: { shipping: { country: 'US', option: 'standard' } },
    })
    expect(checkout.status).toBe(202)
    accepted.push(checkout.body.orderId)
    expect(await settle(checkout.body.orderId)).toMatchObject({
      status: 'APPROVED',
      items: [{ sku: 'SOCK-L', quantity: 2 }],
    })
    expect((await gateway('/api/cart', { headers: alice })).body.items).toEqual([])
    await invariantsHold()
  })
})

function orderUrl(): string {
  const order = system.status().instances.find((i) => i.service === 'order' && i.port)!
  return `http://127.0.0.1:${order.port}`
}
