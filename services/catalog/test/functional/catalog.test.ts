import { eventually, http, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { catalog } from '../../src/service.js'

let service: TestService
let merchantId: string
/** Paper & Pine's merchant: the owner of every product these tests create. */
let merchant: Record<string, string>

beforeAll(async () => {
  service = await startTestService(catalog, {
    postgresUrl: inject('postgresUrl'),
    env: { TRELLIS_SEED: 'true' },
  })
  const merchants = await http(`${service.url}/merchants`)
  merchantId = merchants.body.items.find((m: { slug: string }) => m.slug === 'paper-and-pine').id
  merchant = await service.as(TEST_IDENTITIES.merchant(merchantId))
})
afterAll(() => service?.stop())

const newProduct = (sku: string) => ({
  merchantId,
  name: `Test Notebook ${sku}`,
  category: 'stationery',
  options: [{ name: 'Color', values: ['Red', 'Blue'] }],
  skus: [
    { sku: `${sku}-RED`, options: { Color: 'Red' }, priceCents: 1500 },
    { sku: `${sku}-BLUE`, options: { Color: 'Blue' }, priceCents: 1600 },
  ],
})

describe('catalog, reading', () => {
  it('lists the seeded shop in name order, with SKUs and prices', async () => {
    const res = await http(`${service.url}/products?limit=5`)
    expect(res.status).toBe(200)
    expect(res.body.items).toHaveLength(5)
    const names = res.body.items.map((p: { name: string }) => p.name.toLowerCase())
    expect(names).toEqual([...names].sort())
    expect(res.body.items[0].skus[0]).toMatchObject({ priceCents: expect.any(Number), currency: 'USD' })
  })

  it('refuses a page larger than the largest page setting, which may change while it runs', async () => {
    const refused = await http(`${service.url}/products?limit=101`)
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({
      code: 'TRELLIS_REQUEST_INVALID',
      errors: [{ in: 'querystring', path: '/limit', message: 'must be <= 100' }],
    })
    const settings = service.context.settings as { maxPageSize: number }
    settings.maxPageSize = 150
    try {
      expect((await http(`${service.url}/products?limit=101`)).status).toBe(200)
    } finally {
      settings.maxPageSize = 100
    }
  })

  it('pages through every product exactly once', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await http(
        `${service.url}/products?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      )
      seen.push(...res.body.items.map((p) => p.id))
      cursor = res.body.nextCursor
    } while (cursor)
    expect(seen.length).toBeGreaterThanOrEqual(32)
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('searches by name, case-insensitively, treating % and _ literally', async () => {
    const res = await http(`${service.url}/products?q=TEA`)
    expect(res.body.items.map((p: { name: string }) => p.name).sort()).toEqual([
      'Earl Grey Tea',
      'Sencha Green Tea',
    ])
    expect((await http(`${service.url}/products?q=%25`)).body.items).toEqual([])
  })

  it('gets a product and a SKU, and answers 404 problems for unknown ones', async () => {
    const first = (await http(`${service.url}/products?limit=1`)).body.items[0]
    expect((await http(`${service.url}/products/${first.id}`)).body.name).toBe(first.name)
    const sku = await http(`${service.url}/skus/${first.skus[0].sku}`)
    expect(sku.body).toMatchObject({ productId: first.id, productName: first.name })
    const missing = await http(`${service.url}/products/00000000-0000-4000-8000-000000000000`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(missing.body.code).toBe('TRELLIS_CATALOG_PRODUCT_NOT_FOUND')
    expect((await http(`${service.url}/skus/NOPE-1`)).body.code).toBe('TRELLIS_CATALOG_SKU_NOT_FOUND')
  })

  it('lists merchants with product counts', async () => {
    const res = await http(`${service.url}/merchants`)
    expect(res.body.items).toHaveLength(4)
    expect(res.body.items.every((m: { productCount: number }) => m.productCount >= 8)).toBe(true)
  })
})

describe('catalog, writing', () => {
  it('creates a product with its SKUs', async () => {
    const res = await http(`${service.url}/products`, { body: newProduct('NB1'), headers: merchant })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ name: 'Test Notebook NB1', version: 1, status: 'active' })
    expect(res.body.skus.map((s: { sku: string }) => s.sku)).toEqual(['NB1-RED', 'NB1-BLUE'])
  })

  it('replays a create with the same Idempotency-Key instead of creating twice', async () => {
    const headers = { ...merchant, 'idempotency-key': 'create-nb2' }
    const first = await http(`${service.url}/products`, { body: newProduct('NB2'), headers })
    const again = await http(`${service.url}/products`, { body: newProduct('NB2'), headers })
    expect(again.status).toBe(201)
    expect(again.body.id).toBe(first.body.id)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    const reused = await http(`${service.url}/products`, { body: newProduct('NB3'), headers })
    expect(reused.status).toBe(422)
    expect(reused.body.code).toBe('TRELLIS_IDEMPOTENCY_KEY_REUSED')
    expect((await http(`${service.url}/skus/NB3-RED`)).status).toBe(404)
  })

  it('creates exactly one product when the same key arrives many times at once', async () => {
    const headers = { ...merchant, 'idempotency-key': 'race-nb4' }
    const results = await Promise.all(
      Array.from({ length: 8 }, () => http(`${service.url}/products`, { body: newProduct('NB4'), headers })),
    )
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201))
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1)
  })

  it('refuses invalid products with the right 4xx and stores nothing', async () => {
    const cases: Array<[unknown, number, string]> = [
      [
        { ...newProduct('BAD1'), merchantId: '00000000-0000-4000-8000-000000000000' },
        422,
        'TRELLIS_CATALOG_MERCHANT_UNKNOWN',
      ],
      [
        { ...newProduct('BAD2'), skus: [{ sku: 'BAD2', options: { Color: 'Green' }, priceCents: 1 }] },
        422,
        'TRELLIS_CATALOG_SKU_OPTIONS_INVALID',
      ],
      [
        { ...newProduct('BAD3'), skus: [{ sku: 'NB1-RED', options: { Color: 'Red' }, priceCents: 1 }] },
        409,
        'TRELLIS_CATALOG_SKU_TAKEN',
      ],
      [{ ...newProduct('BAD4'), name: '' }, 400, 'TRELLIS_REQUEST_INVALID'],
      [{ ...newProduct('BAD5'), priceCents: -1, extra: true }, 400, 'TRELLIS_REQUEST_INVALID'],
      [
        { ...newProduct('BAD6'), skus: [{ sku: 'bad lower', options: {}, priceCents: 1 }] },
        400,
        'TRELLIS_REQUEST_INVALID',
      ],
    ]
    for (const [body, status, code] of cases) {
      const res = await http(`${service.url}/products`, {
        body,
        headers: await service.as(TEST_IDENTITIES.admin),
      })
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code })
    }
    const stored = await http(`${service.url}/products?q=BAD`)
    expect(stored.body.items).toEqual([])
  })

  it('refuses malformed JSON, a wrong content type and an oversized body as problems', async () => {
    const malformed = await http(`${service.url}/products`, {
      raw: '{"name": ',
      headers: { ...merchant, 'content-type': 'application/json' },
      method: 'POST',
    })
    expect(malformed.status).toBe(400)
    expect(malformed.body.code).toBe('TRELLIS_REQUEST_MALFORMED')
    const wrongType = await http(`${service.url}/products`, {
      raw: 'name=x',
      headers: { ...merchant, 'content-type': 'application/x-www-form-urlencoded' },
      method: 'POST',
    })
    expect(wrongType.status).toBe(415)
    const huge = await http(`${service.url}/products`, {
      raw: JSON.stringify({ name: 'x'.repeat(2_000_000) }),
      headers: { ...merchant, 'content-type': 'application/json' },
      method: 'POST',
    })
    expect(huge.status).toBe(413)
    for (const res of [malformed, wrongType, huge]) {
      expect(res.headers.get('content-type')).toMatch(/problem\+json/)
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js:\d+/)
    }
  })

  it('updates with optimistic concurrency', async () => {
    const created = (await http(`${service.url}/products`, { body: newProduct('NB5'), headers: merchant }))
      .body
    const renamed = await http(`${service.url}/products/${created.id}`, {
      method: 'PATCH',
      body: { name: 'Renamed', expectedVersion: 1 },
      headers: merchant,
    })
    expect(renamed.body).toMatchObject({ name: 'Renamed', version: 2 })
    const stale = await http(`${service.url}/products/${created.id}`, {
      method: 'PATCH',
      body: { name: 'Stale', expectedVersion: 1 },
      headers: merchant,
    })
    expect(stale.status).toBe(409)
    expect(stale.body.code).toBe('TRELLIS_CATALOG_VERSION_CONFLICT')
    expect((await http(`${service.url}/products/${created.id}`)).body.name).toBe('Renamed')
  })

  it('changes a price', async () => {
    const res = await http(`${service.url}/skus/NB1-RED/price`, {
      method: 'PUT',
      body: { priceCents: 999 },
      headers: merchant,
    })
    expect(res.body).toMatchObject({ sku: 'NB1-RED', priceCents: 999, currency: 'USD' })
    expect(
      (
        await http(`${service.url}/skus/NOPE-2/price`, {
          method: 'PUT',
          body: { priceCents: 1 },
          headers: merchant,
        })
      ).status,
    ).toBe(404)
  })
})

describe('catalog, ownership', () => {
  const other = () => service.as(TEST_IDENTITIES.merchant('24df5d40-5282-5d4c-8e0d-95279fc57582'))

  it("lets a merchant change only its own products and prices; another's are not found", async () => {
    const mine = (await http(`${service.url}/products`, { body: newProduct('OWN1'), headers: merchant })).body
    expect(mine.merchantId).toBe(merchantId)
    const patch = await http(`${service.url}/products/${mine.id}`, {
      method: 'PATCH',
      body: { name: 'Hijacked' },
      headers: await other(),
    })
    expect([patch.status, patch.body.code]).toEqual([404, 'TRELLIS_CATALOG_PRODUCT_NOT_FOUND'])
    const price = await http(`${service.url}/skus/OWN1-RED/price`, {
      method: 'PUT',
      body: { priceCents: 1 },
      headers: await other(),
    })
    expect([price.status, price.body.code]).toEqual([404, 'TRELLIS_CATALOG_SKU_NOT_FOUND'])
    const stored = (await http(`${service.url}/products/${mine.id}`)).body
    expect(stored).toMatchObject({ name: mine.name, version: 1 })
    expect(stored.skus[0].priceCents).toBe(1500)
    const admin = await service.as(TEST_IDENTITIES.admin)
    const byAdmin = await http(`${service.url}/products/${mine.id}`, {
      method: 'PATCH',
      body: { status: 'archived' },
      headers: admin,
    })
    expect(byAdmin.body.status).toBe('archived')
  })

  it("refuses to create under another merchant's name, and keeps writes from customers and strangers", async () => {
    const foreign = await http(`${service.url}/products`, {
      body: { ...newProduct('OWN2'), merchantId: '24df5d40-5282-5d4c-8e0d-95279fc57582' },
      headers: merchant,
    })
    expect([foreign.status, foreign.body.code]).toEqual([422, 'TRELLIS_CATALOG_MERCHANT_UNKNOWN'])
    const customer = await http(`${service.url}/products`, {
      body: newProduct('OWN3'),
      headers: await service.as(TEST_IDENTITIES.customer),
    })
    expect([customer.status, customer.body.code]).toEqual([403, 'TRELLIS_AUTH_FORBIDDEN'])
    const anonymous = await http(`${service.url}/products`, { body: newProduct('OWN4') })
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'TRELLIS_AUTH_REQUIRED'])
    const merchantAsMerchant = await http(`${service.url}/merchants`, {
      body: { slug: 'mine-now', name: 'x' },
      headers: merchant,
    })
    expect(merchantAsMerchant.status).toBe(403)
    expect(
      (await http(`${service.url}/products?q=OWN`)).body.items.map((p: { name: string }) => p.name),
    ).toEqual(['Test Notebook OWN1'])
  })

  it('refuses an assertion that is forged, meant for another service, or expired', async () => {
    const forInventory = await (await import('@trellis/testing')).identityHeaders(
      'inventory',
      TEST_IDENTITIES.admin,
    )
    for (const headers of [forInventory, { 'x-trellis-identity': 'not.a.token' }]) {
      const res = await http(`${service.url}/products`, { body: newProduct('OWN5'), headers })
      expect([res.status, res.body.code]).toEqual([401, 'TRELLIS_AUTH_ASSERTION_INVALID'])
    }
  })
})

describe('catalog, as a Trellis service', () => {
  it('echoes a well-formed request id and replaces a malformed one', async () => {
    const kept = await http(`${service.url}/products?limit=1`, { headers: { 'x-request-id': 'abc-123' } })
    expect(kept.headers.get('x-request-id')).toBe('abc-123')
    const replaced = await http(`${service.url}/products?limit=1`, {
      headers: { 'x-request-id': 'bad id\twith tab' },
    })
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    // The access-log line is written once the response has gone out.
    await eventually(
      () => service.logs.some((l) => l.includes('"request_id":"abc-123"')),
      5_000,
      'the request logged with its id',
    )
  })

  it('is ready, with its checks, and serves its OpenAPI document', async () => {
    const ready = await http(`${service.url}/health/ready`)
    expect(ready.body).toMatchObject({ status: 'ready', checks: { database: { ok: true } } })
    const openapi = await http(`${service.url}/openapi.json`)
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/products', '/products/{id}', '/merchants']),
    )
    expect(Object.keys(openapi.body.paths)).not.toContain('/health/ready')
  })
})
