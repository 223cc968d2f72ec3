// bench:saga — the place-order saga on the default embedded system, against
// the same work done as direct database writes in one process.
//
// Saga: the whole system (`startTestSystem`: embedded PostgreSQL, postgres
// transport, every service as its own process); orders are placed through
// the gateway as a signed-in customer. Place-to-approved latency runs from
// just before POST /api/orders to the order's `decidedAt` (written by the
// order service's database in the transaction that approves it; same
// machine, same clock). Light load for latency: one order at a time.
// Throughput: ORDERS orders placed by CONCURRENCY clients; completed
// orders/s = approved orders / (last approval − first placement).
//
// Lower bound: one process, one database on the same PostgreSQL server, the
// same steps as the saga — reserve stock, authorize, create shipment,
// capture, commit stock, approve — each its own transaction (as each saga
// step is a transaction at its participant), no messaging, no HTTP.
import { randomUUID } from 'node:crypto'
import { Database } from '@trellis/kit'
import { createTestDatabase, eventually, http, startTestSystem, type TestSystem } from '@trellis/testing'
import { machine, table } from './report.js'

const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 60)
const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 300)
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16)
const SKUS = ['SOCK-L', 'HOOD-FORES-M', 'JACKET-S', 'TEE-WHITE-M']

interface Figures {
  ordersPerS: number
  p50: number
  p99: number
  approved: number
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        out[i] = await work(i)
      }
    }),
  )
  return out
}

async function sagaFigures(system: TestSystem): Promise<Figures> {
  const gateway = system.urls.gateway
  const login = await http(`${gateway}/api/identity/login`, {
    body: { email: 'alice@example.com', password: 'customer-demo-pass' },
  })
  const alice = { authorization: `Bearer ${login.body.accessToken}` }
  const admin = await http(`${gateway}/api/identity/login`, {
    body: { email: 'admin@trellis.local', password: 'admin-demo-pass' },
  })
  const adminHeaders = { authorization: `Bearer ${admin.body.accessToken}` }
  // Enough stock for every order of the run.
  for (const sku of SKUS)
    await http(`${gateway}/api/inventory/stock/${sku}`, {
      method: 'PUT',
      headers: adminHeaders,
      body: { lowStockThreshold: 1, onHand: 100_000 },
    })
  const place = async (i: number) => {
    const started = Date.now()
    const res = await http(`${gateway}/api/orders`, {
      headers: { ...alice, 'idempotency-key': randomUUID() },
      body: {
        items: [{ sku: SKUS[i % SKUS.length]!, quantity: 1 }],
        shipping: { country: 'US', option: 'standard' },
      },
    })
    if (res.status !== 202) throw new Error(`placing failed: ${res.status} ${JSON.stringify(res.body)}`)
    return { id: res.body.id as string, started }
  }
  const decided = async (id: string) =>
    eventually(
      async () => {
        const res = await http(`${gateway}/api/orders/${id}`, { headers: alice })
        return res.body.decidedAt ? res.body : undefined
      },
      60_000,
      `order ${id}`,
    )
  // Warm-up: connections, JIT, plans.
  for (let i = 0; i < 10; i++) await decided((await place(i)).id)

  const latencies: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const { id, started } = await place(i)
    const order = await decided(id)
    if (order.status !== 'APPROVED') throw new Error(`order ${id} ended ${order.status}: ${order.reason}`)
    latencies.push(Date.parse(order.decidedAt) - started)
  }

  const first = Date.now()
  const placed = await pool(ORDERS, CONCURRENCY, place)
  const ends = await pool(placed.length, 8, async (i) =>
    decided(placed[i]!.id).catch(async () => {
      const res = await http(`${gateway}/api/orders/${placed[i]!.id}`, { headers: alice })
      return { ...res.body, status: `undecided (${res.body.status})`, reason: JSON.stringify(res.body.saga) }
    }),
  )
  // Handler retries during the run, by instance and reason (lock waits and deadlocks show here).
  const retries = new Map<string, number>()
  for (const line of system.logs) {
    if (!line.includes('event handler failed; retrying')) continue
    const reason = /"reason":"([^"]{0,80})/.exec(line)?.[1] ?? '?'
    const key = `${line.split(' ')[0]}: ${reason}`
    retries.set(key, (retries.get(key) ?? 0) + 1)
  }
  for (const [key, n] of retries) console.log(`handler retries ×${n} ${key}`)
  // What the services gave up on, if anything: a command or reply that became a dead letter.
  for (const instance of system.status().instances.filter((i) => i.port && i.ready)) {
    const stats = await http(`http://127.0.0.1:${instance.port}/messaging/stats`).catch(() => undefined)
    const waiting = stats?.body?.deadLetters?.waiting ?? 0
    if (waiting > 0) {
      const letters = await http(`http://127.0.0.1:${instance.port}/messaging/dead-letters?limit=3`)
      console.log(
        `${instance.key}: ${waiting} dead letters, e.g. ${JSON.stringify(letters.body.items?.map((l: { type: string; error: string }) => `${l.type}: ${l.error}`))}`,
      )
    }
  }
  const approved = ends.filter((o) => o.status === 'APPROVED')
  const reasons = new Map<string, number>()
  for (const o of ends.filter((e) => e.status !== 'APPROVED')) {
    const why = `${o.status}: ${o.reason}`
    reasons.set(why, (reasons.get(why) ?? 0) + 1)
  }
  for (const [why, n] of reasons) console.log(`not approved ×${n}: ${why}`)
  const last = Math.max(...approved.map((o) => Date.parse(o.decidedAt)))
  return {
    ordersPerS: Math.round((approved.length / (last - first)) * 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    approved: approved.length,
  }
}

const DIRECT_SCHEMA = `
CREATE TABLE stock (sku text PRIMARY KEY, on_hand integer NOT NULL CHECK (on_hand >= 0), reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand));
CREATE TABLE reservations (order_id uuid, sku text, quantity integer, status text, PRIMARY KEY (order_id, sku));
CREATE TABLE payments (order_id uuid PRIMARY KEY, amount integer, status text, capture_count integer NOT NULL DEFAULT 0);
CREATE TABLE shipments (order_id uuid PRIMARY KEY, country text, status text);
CREATE TABLE orders (id uuid PRIMARY KEY, status text, sku text, created_at timestamptz DEFAULT now(), decided_at timestamptz);
`

/** The saga's steps as plain transactions in one process on one database. */
async function directFigures(adminUrl: string): Promise<Figures> {
  const db = new Database({
    url: await createTestDatabase(adminUrl, 'bench_saga_direct'),
    maxConnections: CONCURRENCY,
  })
  await db.query(DIRECT_SCHEMA)
  await db.query(`INSERT INTO stock (sku, on_hand) SELECT unnest($1::text[]), 100000`, [SKUS])
  const order = async (i: number) => {
    const started = performance.now()
    const id = randomUUID()
    const sku = SKUS[i % SKUS.length]!
    await db.tx(async (tx) => {
      await tx.query(`INSERT INTO orders (id, status, sku) VALUES ($1, 'PENDING', $2)`, [id, sku])
    })
    await db.tx(async (tx) => {
      await tx.query('UPDATE stock SET reserved = reserved + 1 WHERE sku = $1 AND on_hand - reserved >= 1', [
        sku,
      ])
      await tx.query(`INSERT INTO reservations VALUES ($1, $2, 1, 'reserved')`, [id, sku])
    })
    await db.tx((tx) =>
      tx.query(`INSERT INTO payments (order_id, amount, status) VALUES ($1, 1200, 'authorized')`, [id]),
    )
    await db.tx((tx) => tx.query(`INSERT INTO shipments VALUES ($1, 'US', 'created')`, [id]))
    await db.tx((tx) =>
      tx.query(
        `UPDATE payments SET status = 'captured', capture_count = capture_count + 1 WHERE order_id = $1`,
        [id],
      ),
    )
    await db.tx(async (tx) => {
      await tx.query(`UPDATE reservations SET status = 'committed' WHERE order_id = $1`, [id])
      await tx.query('UPDATE stock SET on_hand = on_hand - 1, reserved = reserved - 1 WHERE sku = $1', [sku])
    })
    await db.tx((tx) =>
      tx.query(`UPDATE orders SET status = 'APPROVED', decided_at = now() WHERE id = $1`, [id]),
    )
    return performance.now() - started
  }
  for (let i = 0; i < 20; i++) await order(i)
  const latencies: number[] = []
  for (let i = 0; i < SAMPLES; i++) latencies.push(await order(i))
  const first = performance.now()
  await pool(ORDERS, CONCURRENCY, order)
  const elapsed = performance.now() - first
  await db.close()
  return {
    ordersPerS: Math.round((ORDERS / elapsed) * 1000),
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    approved: ORDERS,
  }
}

const system = await startTestSystem({
  env: { TRELLIS_GATEWAY_RATE_LIMIT_IP_PER_S: '0', TRELLIS_GATEWAY_RATE_LIMIT_CLIENT_PER_S: '0' },
})
try {
  await system.waitReady(120_000)
  console.log(`bench:saga — ${machine()}`)
  console.log(
    `${SAMPLES} orders one at a time for latency; ${ORDERS} orders by ${CONCURRENCY} clients for throughput\n`,
  )
  const saga = await sagaFigures(system)
  const direct = await directFigures(system.postgresUrl)
  console.log(
    table(
      ['path', 'completed orders/s', 'p50 place→approved (ms)', 'p99 (ms)', 'approved'],
      [
        [
          'saga (every service a process, messaging, gateway)',
          saga.ordersPerS,
          saga.p50,
          saga.p99,
          `${saga.approved}/${ORDERS}`,
        ],
        [
          'direct writes, one process (lower bound)',
          direct.ordersPerS,
          direct.p50,
          direct.p99,
          `${direct.approved}/${ORDERS}`,
        ],
        [
          'ratio saga / direct',
          `${(saga.ordersPerS / direct.ordersPerS).toFixed(3)}×`,
          `${(saga.p50 / direct.p50).toFixed(1)}×`,
          `${(saga.p99 / direct.p99).toFixed(1)}×`,
          '',
        ],
      ],
    ),
  )
} finally {
  await system.stop()
}
