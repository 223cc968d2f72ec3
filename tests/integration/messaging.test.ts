import { createEnvelope } from '@trellis/kit/platform'
import { eventually, http, runCli, signIn, startTestSystem, type TestSystem } from '@trellis/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

// Events across the running system, over the default transport (a broker
// database in the same PostgreSQL): catalog announces, inventory reacts; the
// CLI lists and replays dead letters, finding instances through the registry.
let system: TestSystem
/** The seeded admin's bearer token: creating products and reading stock need a signed-in caller. */
let admin: Record<string, string>

beforeAll(async () => {
  system = await startTestSystem({ postgresUrl: inject('postgresUrl'), databasePrefix: `m${process.pid}_` })
  await system.waitReady(60_000)
  admin = (await signIn(system.urls.gateway, 'admin@trellis.local', 'admin-demo-pass')).headers
})
afterAll(() => system?.stop())

const gateway = (path: string, init?: Parameters<typeof http>[1]) =>
  http(`${system.urls.gateway}${path}`, init)

const trellis = (args: string[]) => runCli(args, { TRELLIS_REGISTRY_URL: system.urls.registry })

describe('messaging in the running system', () => {
  it('runs on a provisioned broker database and shows it in the registry metadata', async () => {
    expect(system.messaging.transport).toBe('postgres')
    expect(new URL(system.messaging.url).pathname).toBe(`/m${process.pid}_trellis_broker`)
    const { body } = await http(`${system.urls.registry}/v1/services`)
    expect(body.services.inventory[0].metadata.messaging).toEqual({
      transport: 'postgres',
      subscribes: [
        'catalog.product.created',
        'order.order.approved',
        'inventory.command.reserve-stock',
        'inventory.command.commit-stock',
        'inventory.command.release-stock',
      ],
    })
  })

  it('gives a product created through the gateway a stock record for each SKU', async () => {
    const merchants = await gateway('/api/catalog/merchants')
    const created = await gateway('/api/catalog/products', {
      headers: admin,
      body: {
        merchantId: merchants.body.items[0].id,
        name: 'Event-driven Teapot',
        category: 'kitchen',
        options: [{ name: 'Size', values: ['S', 'L'] }],
        skus: [
          { sku: 'EVT-TEAPOT-S', options: { Size: 'S' }, priceCents: 2500 },
          { sku: 'EVT-TEAPOT-L', options: { Size: 'L' }, priceCents: 3200 },
        ],
      },
    })
    expect(created.status).toBe(201)
    for (const sku of ['EVT-TEAPOT-S', 'EVT-TEAPOT-L']) {
      const stock = await eventually(
        async () => {
          const res = await gateway(`/api/inventory/stock/${sku}`, { headers: admin })
          return res.status === 200 && res.body
        },
        30_000,
        `stock for ${sku}`,
      )
      expect(stock).toMatchObject({ onHand: 0, reserved: 0 })
    }
    // The records belong to the product's merchant, and to no other.
    const SELLERS: Record<string, string> = {
      'northwind-outfitters': 'northwind@example.com',
      'blue-kettle-coffee': 'kettle@example.com',
      'paper-and-pine': 'pine@example.com',
      'volt-electronics': 'volt@example.com',
    }
    const as = async (email: string) => {
      const login = await http(`${system.urls.gateway}/api/identity/login`, {
        body: { email, password: 'merchant-demo-pass' },
      })
      return { authorization: `Bearer ${login.body.accessToken}` }
    }
    const seller = SELLERS[merchants.body.items[0].slug as string]!
    const other = Object.values(SELLERS).find((email) => email !== seller)!
    expect((await gateway('/api/inventory/stock/EVT-TEAPOT-S', { headers: await as(seller) })).status).toBe(
      200,
    )
    expect((await gateway('/api/inventory/stock/EVT-TEAPOT-S', { headers: await as(other) })).status).toBe(
      404,
    )
    // The internal messaging routes are not reachable through the gateway.
    expect((await gateway('/api/inventory/messaging/dead-letters')).status).toBe(404)
  })

  it('lists and replays dead letters with the CLI', async () => {
    // A dead letter as inventory stores one when a handler keeps failing.
    const event = createEnvelope('catalog', {
      type: 'catalog.product.created',
      key: 'cli-product',
      data: { skus: [{ sku: 'CLI-REPLAY-1' }] },
    })
    const client = new pg.Client({ connectionString: system.databases.get('inventory')! })
    await client.connect()
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO trellis_dead_letters (message_id, type, body, error, attempts) VALUES ($1, $2, $3, 'database hiccup', 5) RETURNING id`,
      [event.id, event.type, JSON.stringify(event)],
    )
    await client.end()
    const id = rows[0]!.id

    const listed = await trellis(['dead-letters'])
    expect(listed.code).toBe(0)
    expect(listed.output).toMatch(
      new RegExp(`inventory\\s+${id}\\s+catalog\\.product\\.created\\s+5\\s+.*database hiccup`),
    )

    const replayed = await trellis(['dead-letters', 'replay', 'inventory', id])
    expect(replayed.output).toContain(`inventory dead letter ${id}: replayed`)
    expect(replayed.code).toBe(0)
    expect((await gateway('/api/inventory/stock/CLI-REPLAY-1', { headers: admin })).status).toBe(200)

    const again = await trellis(['dead-letters', 'replay', 'inventory', id])
    expect(again.output).toContain('no second effect')
    expect((await trellis(['dead-letters', '--service', 'inventory'])).output).toContain('no dead letters')
    const missing = await trellis(['dead-letters', 'replay', 'inventory', '999999'])
    expect(missing.code).toBe(1)
    expect(missing.output).toContain('no dead letter 999999')
  })
})
