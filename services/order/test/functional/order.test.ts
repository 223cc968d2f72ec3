import { createServer, type Server } from 'node:http'
import { defineService, type SagaCommands, SagaRefusal } from '@trellis/kit'
import {
  createTestDatabase,
  eventually,
  http,
  startTestService,
  TEST_IDENTITIES,
  type TestService,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { order } from '../../src/service.js'

// The order service with its real database and saga engine; catalog and
// shipping's HTTP are stubs, and inventory, payment and shipping's saga
// parts are stand-ins (kit services with `commands`) that record each
// command and refuse on cue: SKU NONE-1 is out of stock, tok_decline is
// declined.
async function stub(answer: (url: string) => { status: number; body: unknown }) {
  const server: Server = createServer((req, res) => {
    const { status, body } = answer(req.url ?? '/')
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const standIn = (
  name: string,
  refuse: (command: string, payload: Record<string, unknown>) => string | undefined,
) => {
  const record =
    (command: string): SagaCommands[string] =>
    async (payload: Record<string, unknown>, { tx }) => {
      const reason = refuse(command, payload)
      if (reason) throw new SagaRefusal(reason)
      await tx.query('INSERT INTO effects (order_id, command) VALUES ($1, $2)', [payload['orderId'], command])
      return { ok: true }
    }
  const commands: Record<string, string[]> = {
    inventory: ['reserve-stock', 'release-stock', 'commit-stock'],
    payment: ['authorize-payment', 'capture-payment', 'cancel-payment'],
    shipping: ['create-shipment', 'cancel-shipment'],
  }
  return defineService({
    name,
    database: { migrations: new URL('./fixtures/participant', import.meta.url) },
    routes: () => [],
    commands: Object.fromEntries(commands[name]!.map((c) => [c, record(c)])),
  })
}

let catalog: Awaited<ReturnType<typeof stub>>
let shippingHttp: Awaited<ReturnType<typeof stub>>
let service: TestService
let participants: TestService[]
let customer: Record<string, string>
let other: Record<string, string>

beforeAll(async () => {
  catalog = await stub((url) => {
    const sku = url.replace('/skus/', '')
    return /^(TEE|NONE)-/.test(sku)
      ? { status: 200, body: { sku, status: 'active', priceCents: 1500, currency: 'USD' } }
      : { status: 404, body: { code: 'TRELLIS_CATALOG_SKU_NOT_FOUND', status: 404 } }
  })
  shippingHttp = await stub((url) =>
    url.includes('country=AQ')
      ? { status: 200, body: { items: [] } }
      : { status: 200, body: { items: [{ code: 'standard', carrier: 'x', days: 3, priceCents: 500 }] } },
  )
  const admin = inject('postgresUrl')
  const env = {
    TRELLIS_MESSAGING_TRANSPORT: 'postgres',
    TRELLIS_BROKER_URL: await createTestDatabase(admin, 'order_broker'),
    TRELLIS_MESSAGING_POLL_MS: '200',
    TRELLIS_SAGAS_POLL_MS: '100',
    TRELLIS_LOG_LEVEL: 'warn',
  }
  participants = await Promise.all([
    startTestService(
      standIn('inventory', (c, p) =>
        c === 'reserve-stock' && JSON.stringify(p).includes('NONE-1')
          ? 'not enough stock for NONE-1'
          : undefined,
      ),
      { postgresUrl: admin, env },
    ),
    startTestService(
      standIn('payment', (c, p) =>
        c === 'authorize-payment' && p['token'] === 'tok_decline' ? 'payment declined' : undefined,
      ),
      { postgresUrl: admin, env },
    ),
    startTestService(
      standIn('shipping', () => undefined),
      { postgresUrl: admin, env },
    ),
  ])
  service = await startTestService(order, {
    postgresUrl: admin,
    env: { ...env, TRELLIS_CALL_CATALOG_URLS: catalog.url, TRELLIS_CALL_SHIPPING_URLS: shippingHttp.url },
  })
  await Promise.all([service, ...participants].map((s) => s.context.messaging.ready()))
  customer = await service.as(TEST_IDENTITIES.customer)
  other = await service.as({ ...TEST_IDENTITIES.customer, subject: 'someone-else' })
}, 60_000)
afterAll(async () => {
  await Promise.all([service, ...(participants ?? [])].map((s) => s?.stop()))
  await catalog?.close()
  await shippingHttp?.close()
})

let n = 0
const place = (body: Record<string, unknown> = {}, key = `key-${++n}`, headers = customer) =>
  http(`${service.url}/orders`, {
    headers: { ...headers, 'idempotency-key': key },
    body: {
      items: [{ sku: 'TEE-1', quantity: 2 }],
      shipping: { country: 'US', option: 'standard' },
      ...body,
    },
  })
const settled = (id: string) =>
  eventually(
    async () => {
      const res = await http(`${service.url}/orders/${id}`, { headers: customer })
      return ['APPROVED', 'REJECTED', 'CANCELLED'].includes(res.body.status) && res.body
    },
    20_000,
    `order ${id}`,
  )

describe('order service', () => {
  it('accepts an order with 202, prices it, and approves it when every step succeeds', async () => {
    const res = await place()
    expect(res.status).toBe(202)
    expect(res.headers.get('location')).toBe(`/orders/${res.body.id}`)
    const done = await settled(res.body.id)
    expect(done).toMatchObject({ status: 'APPROVED', goodsCents: 3000, amountCents: 3500, reason: null })
    const saga = (await http(`${service.url}/sagas/${res.body.id}`)).body
    expect(saga.timings.map((t: { step: string }) => t.step)).toEqual([
      'reserve-stock',
      'authorize-payment',
      'create-shipment',
      'capture-payment',
      'commit-stock',
    ])
  })

  it('gives the same order for the same key, and refuses the key with another body', async () => {
    const first = await place({}, 'same-key')
    const again = await place({}, 'same-key')
    expect(again.body.id).toBe(first.body.id)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    const changed = await place({ items: [{ sku: 'TEE-1', quantity: 3 }] }, 'same-key')
    expect(changed.status).toBe(422)
    expect(changed.body.code).toBe('TRELLIS_ORDER_IDEMPOTENCY_KEY_REUSED')
    // Another customer's key is their own.
    expect((await place({}, 'same-key', other)).body.id).not.toBe(first.body.id)
  })

  it('needs a key, known SKUs and a shipping option', async () => {
    const noKey = await http(`${service.url}/orders`, {
      headers: customer,
      body: { items: [{ sku: 'TEE-1', quantity: 1 }], shipping: { country: 'US', option: 'standard' } },
    })
    expect(noKey.status).toBe(400)
    expect(noKey.body.code).toBe('TRELLIS_ORDER_IDEMPOTENCY_KEY_REQUIRED')
    expect((await place({ items: [{ sku: 'GONE-1', quantity: 1 }] })).body.code).toBe(
      'TRELLIS_ORDER_UNKNOWN_SKU',
    )
    expect((await place({ shipping: { country: 'AQ', option: 'standard' } })).body.code).toBe(
      'TRELLIS_ORDER_NO_SHIPPING',
    )
    expect((await place({ items: [] })).status).toBe(400)
  })

  it('rejects with the reason when a step says no, and compensates what was done', async () => {
    const short = await settled((await place({ items: [{ sku: 'NONE-1', quantity: 1 }] })).body.id)
    expect(short).toMatchObject({
      status: 'REJECTED',
      failedStep: 'reserve-stock',
      reason: 'not enough stock for NONE-1',
    })
    const declined = await place({ paymentToken: 'tok_decline' })
    expect(await settled(declined.body.id)).toMatchObject({
      status: 'REJECTED',
      failedStep: 'authorize-payment',
    })
    const history = (await http(`${service.url}/sagas/${declined.body.id}`)).body.history
    expect(
      history
        .filter((h: { event: string }) => h.event === 'compensated')
        .map((h: { step: string }) => h.step),
    ).toEqual(['reserve-stock'])
  })

  it('cancels an order: its saga compensates and the order ends CANCELLED; only its owner may', async () => {
    const placed = await place()
    await settled(placed.body.id)
    expect(
      (await http(`${service.url}/orders/${placed.body.id}/cancel`, { headers: other, body: {} })).status,
    ).toBe(404)
    const cancel = await http(`${service.url}/orders/${placed.body.id}/cancel`, {
      headers: customer,
      body: {},
    })
    expect(cancel.status).toBe(202)
    expect(await settled(placed.body.id)).toMatchObject({
      status: 'CANCELLED',
      reason: 'cancelled by the customer',
    })
    expect(
      (await http(`${service.url}/orders/${placed.body.id}/cancel`, { headers: customer, body: {} })).status,
    ).toBe(409)
  })

  it("lists a customer's own orders and hides others'", async () => {
    const mine = await http(`${service.url}/orders`, { headers: customer })
    expect(mine.body.items.length).toBeGreaterThan(0)
    expect(mine.body.items.every((o: { customerId: string }) => o.customerId === 'test-customer')).toBe(true)
    const first = mine.body.items[0].id
    expect((await http(`${service.url}/orders/${first}`, { headers: other })).status).toBe(404)
    const metrics = await (await fetch(`${service.url}/metrics`)).text()
    expect(metrics).toMatch(/trellis_saga_outcomes_total\{[^}]*outcome="refused"/)
  })
})
