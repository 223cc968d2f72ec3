import { http as rawHttp, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { inventory } from '../../src/service.js'

let service: TestService
let admin: Record<string, string>
/** Requests made as an admin unless a test says otherwise. */
const http: typeof rawHttp = (url, init = {}) =>
  rawHttp(url, { ...init, headers: { ...admin, ...init.headers } })

beforeAll(async () => {
  service = await startTestService(inventory, {
    postgresUrl: inject('postgresUrl'),
    env: { TRELLIS_SEED: 'true' },
  })
  admin = await service.as(TEST_IDENTITIES.admin)
})
afterAll(() => service?.stop())

const adjust = (sku: string, delta: number, headers: Record<string, string> = {}) =>
  http(`${service.url}/stock/${sku}/adjustments`, { body: { delta, reason: 'test' }, headers })

describe('inventory', () => {
  it('lists seeded stock, and the low-stock filter agrees with each record', async () => {
    const low = await http(`${service.url}/stock?lowStock=true&limit=200`)
    expect(low.body.items.length).toBeGreaterThan(0)
    expect(
      low.body.items.every(
        (s: { available: number; lowStockThreshold: number; lowStock: boolean }) =>
          s.lowStock && s.available <= s.lowStockThreshold,
      ),
    ).toBe(true)
    const fine = await http(`${service.url}/stock?lowStock=false&limit=200`)
    expect(fine.body.items.every((s: { lowStock: boolean }) => !s.lowStock)).toBe(true)
  })

  it('creates a record, counts stock, and changes the threshold', async () => {
    const created = await http(`${service.url}/stock/WIDGET-1`, {
      method: 'PUT',
      body: { lowStockThreshold: 2, onHand: 10 },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ onHand: 10, reserved: 0, available: 10, lowStock: false })
    const counted = await http(`${service.url}/stock/WIDGET-1`, {
      method: 'PUT',
      body: { lowStockThreshold: 12, onHand: 11 },
    })
    expect(counted.status).toBe(200)
    expect(counted.body).toMatchObject({ onHand: 11, lowStockThreshold: 12, lowStock: true })
  })

  it('adjusts stock and records every movement', async () => {
    await http(`${service.url}/stock/WIDGET-2`, { method: 'PUT', body: { lowStockThreshold: 1, onHand: 5 } })
    expect((await adjust('WIDGET-2', 7)).body.onHand).toBe(12)
    expect((await adjust('WIDGET-2', -2)).body.onHand).toBe(10)
    const movements = await http(`${service.url}/stock/WIDGET-2/movements`)
    expect(
      movements.body.items.map((m: { delta: number; onHandAfter: number }) => [m.delta, m.onHandAfter]),
    ).toEqual([
      [-2, 10],
      [7, 12],
      [5, 5],
    ])
  })

  it('never goes below zero: a too-large removal is refused and changes nothing', async () => {
    await http(`${service.url}/stock/WIDGET-3`, { method: 'PUT', body: { lowStockThreshold: 1, onHand: 3 } })
    const refused = await adjust('WIDGET-3', -4)
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('TRELLIS_INVENTORY_INSUFFICIENT_STOCK')
    expect((await http(`${service.url}/stock/WIDGET-3`)).body.onHand).toBe(3)
  })

  it('sells exactly the stock there is when many removals race', async () => {
    await http(`${service.url}/stock/WIDGET-4`, { method: 'PUT', body: { lowStockThreshold: 1, onHand: 10 } })
    const results = await Promise.all(Array.from({ length: 25 }, () => adjust('WIDGET-4', -1)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(10)
    expect(results.filter((r) => r.status === 409)).toHaveLength(15)
    expect((await http(`${service.url}/stock/WIDGET-4`)).body.onHand).toBe(0)
  })

  it('applies an adjustment once per Idempotency-Key', async () => {
    await http(`${service.url}/stock/WIDGET-5`, { method: 'PUT', body: { lowStockThreshold: 1, onHand: 1 } })
    const headers = { 'idempotency-key': 'delivery-77' }
    await adjust('WIDGET-5', 5, headers)
    const replay = await adjust('WIDGET-5', 5, headers)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect((await http(`${service.url}/stock/WIDGET-5`)).body.onHand).toBe(6)
    expect((await adjust('WIDGET-5', 5, { 'idempotency-key': 'has space' })).status).toBe(400)
  })

  it('answers problems for unknown SKUs, zero deltas and bad cursors', async () => {
    expect((await adjust('NOPE-9', 1)).body.code).toBe('TRELLIS_INVENTORY_SKU_NOT_FOUND')
    expect((await adjust('WIDGET-5', 0)).status).toBe(400)
    expect((await http(`${service.url}/stock?cursor=%25%25`)).body.code).toBe(
      'TRELLIS_INVENTORY_CURSOR_INVALID',
    )
    expect((await http(`${service.url}/stock/lower-case`)).status).toBe(400)
  })
})

describe('inventory, ownership', () => {
  const NORTHWIND = 'afd7445b-c8c2-57f1-afb7-fddf4d9afacb'
  const KETTLE = '24df5d40-5282-5d4c-8e0d-95279fc57582'
  const as = (merchantId: string) => service.as(TEST_IDENTITIES.merchant(merchantId))

  it('shows a merchant only its own stock; an admin sees all', async () => {
    const northwind = await rawHttp(`${service.url}/stock?limit=200`, { headers: await as(NORTHWIND) })
    const skus = northwind.body.items.map((s: { sku: string }) => s.sku)
    expect(skus).toContain('TEE-BLACK-S')
    expect(skus).not.toContain('ESP-WHOLE-250G')
    const all = await http(`${service.url}/stock?limit=200`)
    expect(all.body.items.length).toBeGreaterThan(skus.length)
    const theirs = await rawHttp(`${service.url}/stock/ESP-WHOLE-250G`, { headers: await as(NORTHWIND) })
    expect([theirs.status, theirs.body.code]).toEqual([404, 'TRELLIS_INVENTORY_SKU_NOT_FOUND'])
    const movements = await rawHttp(`${service.url}/stock/ESP-WHOLE-250G/movements`, {
      headers: await as(NORTHWIND),
    })
    expect(movements.status).toBe(404)
  })

  it("keeps a merchant's hands off another merchant's stock, and stores nothing when it tries", async () => {
    const before = (await http(`${service.url}/stock/ESP-WHOLE-250G`)).body
    const adjust = await rawHttp(`${service.url}/stock/ESP-WHOLE-250G/adjustments`, {
      body: { delta: -5, reason: 'theft' },
      headers: await as(NORTHWIND),
    })
    expect(adjust.status).toBe(404)
    const put = await rawHttp(`${service.url}/stock/ESP-WHOLE-250G`, {
      method: 'PUT',
      body: { lowStockThreshold: 999, onHand: 0 },
      headers: await as(NORTHWIND),
    })
    expect(put.status).toBe(404)
    expect((await http(`${service.url}/stock/ESP-WHOLE-250G`)).body).toEqual(before)
  })

  it('makes a merchant the owner of the stock it creates', async () => {
    const created = await rawHttp(`${service.url}/stock/KETTLE-NEW-1`, {
      method: 'PUT',
      body: { lowStockThreshold: 1, onHand: 3 },
      headers: await as(KETTLE),
    })
    expect(created.status).toBe(201)
    expect((await rawHttp(`${service.url}/stock/KETTLE-NEW-1`, { headers: await as(KETTLE) })).status).toBe(
      200,
    )
    expect(
      (await rawHttp(`${service.url}/stock/KETTLE-NEW-1`, { headers: await as(NORTHWIND) })).status,
    ).toBe(404)
    const claim = await rawHttp(`${service.url}/stock/KETTLE-NEW-2`, {
      method: 'PUT',
      body: { lowStockThreshold: 1, merchantId: NORTHWIND },
      headers: await as(KETTLE),
    })
    expect(claim.status).toBe(404)
  })

  it('refuses customers, strangers and API keys without the scope', async () => {
    const customer = await rawHttp(`${service.url}/stock`, {
      headers: await service.as(TEST_IDENTITIES.customer),
    })
    expect([customer.status, customer.body.code]).toEqual([403, 'TRELLIS_AUTH_FORBIDDEN'])
    expect((await rawHttp(`${service.url}/stock`)).status).toBe(401)
    const readOnly = await service.as({
      ...TEST_IDENTITIES.merchant(NORTHWIND),
      kind: 'api-key',
      keyId: 'k-1',
      scopes: ['inventory:read'],
    })
    expect((await rawHttp(`${service.url}/stock/TEE-BLACK-S`, { headers: readOnly })).status).toBe(200)
    const write = await rawHttp(`${service.url}/stock/TEE-BLACK-S/adjustments`, {
      body: { delta: 1, reason: 'key' },
      headers: readOnly,
    })
    expect(write.status).toBe(403)
  })
})
