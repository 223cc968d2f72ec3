import { Database } from '@trellis/kit'
import { http as rawHttp, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { catalog } from '../../src/service.js'

// Catalog announces product changes through its outbox, in the transactions
// of the writes themselves. No broker here: the events wait in the outbox,
// where this test reads them (inventory's tests and the integration tests
// cover delivery).
let service: TestService
let db: Database
let merchantId: string
let admin: Record<string, string>
/** Requests made as an admin (writes need a signed-in merchant or admin). */
const http: typeof rawHttp = (url, init = {}) =>
  rawHttp(url, { ...init, headers: { ...admin, ...init.headers } })

beforeAll(async () => {
  service = await startTestService(catalog, {
    postgresUrl: inject('postgresUrl'),
    env: { TRELLIS_SEED: 'true' },
  })
  db = new Database({ url: service.databaseUrl! })
  admin = await service.as(TEST_IDENTITIES.admin)
  merchantId = (await http(`${service.url}/merchants`)).body.items[0].id
})
afterAll(async () => {
  await db?.close()
  await service?.stop()
})

async function events(key: string) {
  const { rows } = await db.query<{
    envelope: { type: string; data: Record<string, unknown>; source: string }
  }>('SELECT envelope FROM trellis_outbox WHERE key = $1 ORDER BY id', [key])
  return rows.map((r) => r.envelope)
}

describe('catalog product events', () => {
  it('announces a created product, its changes and its price changes, in order', async () => {
    const created = await http(`${service.url}/products`, {
      body: {
        merchantId,
        name: 'Evented Mug',
        category: 'kitchen',
        skus: [{ sku: 'EV-MUG-1', priceCents: 900 }],
      },
    })
    expect(created.status).toBe(201)
    const id = created.body.id
    await http(`${service.url}/products/${id}`, { method: 'PATCH', body: { name: 'Evented Mug, large' } })
    await http(`${service.url}/skus/EV-MUG-1/price`, { method: 'PUT', body: { priceCents: 1100 } })
    await http(`${service.url}/skus/EV-MUG-1/price`, { method: 'PUT', body: { priceCents: 1100 } })

    const list = await events(id)
    expect(list.map((e) => e.type)).toEqual([
      'catalog.product.created',
      'catalog.product.updated',
      'catalog.product.price-changed',
    ])
    expect(list[0]).toMatchObject({
      source: 'catalog',
      data: {
        productId: id,
        name: 'Evented Mug',
        skus: [{ sku: 'EV-MUG-1', priceCents: 900, currency: 'USD' }],
      },
    })
    expect(list[1]!.data).toMatchObject({ name: 'Evented Mug, large', changed: ['name'], version: 2 })
    expect(list[2]!.data).toMatchObject({ sku: 'EV-MUG-1', priceCents: 1100, previousPriceCents: 900 })
  })

  it('announces nothing when the write fails', async () => {
    const before = await db.query('SELECT count(*)::int AS n FROM trellis_outbox')
    const taken = await http(`${service.url}/products`, {
      body: {
        merchantId,
        name: 'Duplicate',
        category: 'kitchen',
        skus: [{ sku: 'EV-MUG-1', priceCents: 1 }],
      },
    })
    expect(taken.status).toBe(409)
    const missing = await http(`${service.url}/skus/NO-SUCH-SKU/price`, {
      method: 'PUT',
      body: { priceCents: 5 },
    })
    expect(missing.status).toBe(404)
    const after = await db.query('SELECT count(*)::int AS n FROM trellis_outbox')
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n)
  })

  it('reports the waiting events as its outbox backlog', async () => {
    const stats = await http(`${service.url}/messaging/stats`)
    expect(stats.body).toMatchObject({ transport: 'off', relay: { enabled: false } })
    expect(stats.body.outbox.pending).toBeGreaterThanOrEqual(3)
  })
})
