import { eventually, http, processAlive, startTestSystem, type TestSystem } from '@trellis/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The whole system as `npm start` runs it, with its own embedded Postgres.
let system: TestSystem

beforeAll(async () => {
  system = await startTestSystem()
  await system.waitReady(60_000)
})
afterAll(() => system?.stop())

const gateway = (path: string) => http(`${system.urls.gateway}${path}`)
const instance = (key: string) => system.status().instances.find((i) => i.key === key)!

describe('walking skeleton', () => {
  it('runs every instance of the topology as its own ready process', () => {
    const instances = system.status().instances
    expect(instances.map((i) => i.key).sort()).toEqual([
      'cart-1',
      'catalog-1',
      'catalog-2',
      'config-1',
      'console-1',
      'gateway-1',
      'identity-1',
      'identity-2',
      'inventory-1',
      'inventory-2',
      'notifications-1',
      'order-1',
      'payment-1',
      'recommendations-1',
      'registry-1',
      'shipping-1',
      'storefront-1',
    ])
    expect(instances.every((i) => i.ready && i.phase === 'running' && i.pid)).toBe(true)
    expect(new Set(instances.map((i) => i.pid)).size).toBe(instances.length)
  })

  it('serves the seeded shop through the gateway, and every catalog SKU has stock', async () => {
    const products = await gateway('/api/catalog/products?limit=100')
    expect(products.status).toBe(200)
    expect(products.body.items.length).toBeGreaterThanOrEqual(30)
    const skus = products.body.items.flatMap((p: { skus: Array<{ sku: string }> }) =>
      p.skus.map((s) => s.sku),
    )
    // Stock is the merchants' and the admins' business: sign in as the seeded admin.
    const login = await http(`${system.urls.gateway}/api/identity/login`, {
      body: { email: 'admin@trellis.local', password: 'admin-demo-pass' },
    })
    const stock = await http(`${system.urls.gateway}/api/inventory/stock?limit=200`, {
      headers: { authorization: `Bearer ${login.body.accessToken}` },
    })
    expect(stock.body.items.map((s: { sku: string }) => s.sku).sort()).toEqual([...skus].sort())
  })

  it('lists every instance in the registry with its real port', async () => {
    const { body } = await http(`${system.urls.registry}/v1/services`)
    for (const key of ['catalog-1', 'catalog-2', 'inventory-1', 'inventory-2']) {
      const listed = Object.values(body.services as Record<string, Array<{ id: string; port: number }>>)
        .flat()
        .find((i) => i.id === key)
      expect(listed?.port, key).toBe(instance(key).port)
    }
  })

  it("gives each service a role that cannot open another service's database", async () => {
    const catalogUrl = new URL(system.databases.get('catalog')!)
    const inventoryDb = new URL(system.databases.get('inventory')!).pathname.slice(1)
    const attempt = async (database: string) => {
      const url = new URL(catalogUrl)
      url.pathname = `/${database}`
      const client = new pg.Client({ connectionString: url.toString() })
      try {
        await client.connect()
        const { rows } = await client.query('SELECT current_user, current_database()')
        return rows[0]
      } finally {
        await client.end().catch(() => undefined)
      }
    }
    expect(await attempt(catalogUrl.pathname.slice(1))).toMatchObject({ current_user: 'svc_catalog' })
    await expect(attempt(inventoryDb)).rejects.toThrow(/permission denied for database/)
    await expect(attempt('postgres')).rejects.toThrow(/permission denied for database/)
  })

  it('restarts an instance killed with SIGKILL, and the registry shows it again', async () => {
    const before = instance('catalog-1')
    process.kill(before.pid!, 'SIGKILL')
    const after = await eventually(
      () => {
        const now = instance('catalog-1')
        return now.pid !== before.pid && now.ready ? now : undefined
      },
      30_000,
      'catalog-1 restarted and ready',
    )
    expect(after.restarts).toBe(before.restarts + 1)
    await eventually(
      async () => {
        const { body } = await http(`${system.urls.registry}/v1/services/catalog`)
        return body.instances.some(
          (i: { id: string; port: number }) => i.id === 'catalog-1' && i.port === after.port,
        )
      },
      10_000,
      'catalog-1 registered on its new port',
    )
    expect((await gateway('/api/catalog/products?limit=1')).status).toBe(200)
  })

  it('stops routing to an instance that was stopped', async () => {
    expect(system.scale('catalog', 1)).toBe(true)
    try {
      await eventually(
        () => !system.status().instances.some((i) => i.key === 'catalog-2'),
        20_000,
        'catalog-2 stopped',
      )
      const { body } = await http(`${system.urls.registry}/v1/services/catalog`)
      expect(body.instances.map((i: { id: string }) => i.id)).toEqual(['catalog-1'])
      const mark = system.logs.length
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => gateway('/api/catalog/products?limit=1').then((r) => r.status)),
      )
      expect(statuses).toEqual(Array(20).fill(200))
      // Log lines travel through pipes after the responses: wait for all 20 to arrive.
      const served = await eventually(
        () => {
          const lines = system.logs
            .slice(mark)
            .filter(
              (l) =>
                l.startsWith('catalog-') && l.includes('"msg":"request"') && l.includes('/products?limit=1'),
            )
          return lines.length >= 20 ? lines : undefined
        },
        10_000,
        'the 20 request log lines',
      )
      expect(served.filter((l) => !l.startsWith('catalog-1 '))).toEqual([])
    } finally {
      system.scale('catalog', 2)
      await system.waitReady(30_000)
    }
  })

  it('stops everything it started, Postgres included, and leaves no process behind', async () => {
    const pids = system.pids()
    // Every instance, and Postgres.
    expect(pids.length).toBe(system.status().instances.length + 1)
    await system.stop()
    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(false)
  })
})
