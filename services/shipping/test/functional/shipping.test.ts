import { http, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { shipping } from '../../src/service.js'

let service: TestService
let admin: Record<string, string>

beforeAll(async () => {
  service = await startTestService(shipping, { postgresUrl: inject('postgresUrl') })
  admin = await service.as(TEST_IDENTITIES.admin)
})
afterAll(() => service?.stop())

describe('shipping', () => {
  it('lists options and prices by destination and weight, to anyone', async () => {
    const res = await http(`${service.url}/options?country=US&weightGrams=1500`)
    expect(res.status).toBe(200)
    expect(res.body.items).toEqual([
      { code: 'standard', carrier: 'Parcel Post', days: 5, priceCents: 700 },
      { code: 'express', carrier: 'Swift Air', days: 2, priceCents: 2100 },
    ])
    expect((await http(`${service.url}/options?country=AQ&weightGrams=100`)).body.items).toEqual([])
    expect((await http(`${service.url}/options?country=usa&weightGrams=100`)).status).toBe(400)
    expect((await http(`${service.url}/options?country=US&weightGrams=0`)).status).toBe(400)
  })

  it('dispatches a shipment once (a repeat answers the same); a cancelled one cannot go', async () => {
    const { rows } = await service.context.db.query<{ id: string }>(
      `INSERT INTO shipments (id, order_id, country, option, weight_grams, price_cents, status)
       VALUES (gen_random_uuid(), 'order-d', 'US', 'standard', 400, 600, 'created') RETURNING id`,
    )
    const id = rows[0]!.id
    const sent = await http(`${service.url}/shipments/${id}/dispatch`, { headers: admin, body: {} })
    expect(sent.body.status).toBe('dispatched')
    const again = await http(`${service.url}/shipments/${id}/dispatch`, { headers: admin, body: {} })
    expect(again.body).toMatchObject({ id, status: 'dispatched' })
    const cancelled = await service.context.db.query<{ id: string }>(
      `INSERT INTO shipments (id, order_id, country, option, weight_grams, price_cents, status)
       VALUES (gen_random_uuid(), 'order-c', 'US', 'standard', 400, 600, 'cancelled') RETURNING id`,
    )
    const refused = await http(`${service.url}/shipments/${cancelled.rows[0]!.id}/dispatch`, {
      headers: admin,
      body: {},
    })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('TRELLIS_SHIPPING_DISPATCHED')
    const listed = await http(`${service.url}/shipments?orderId=order-d`, { headers: admin })
    expect(listed.body.items[0]).toMatchObject({ orderId: 'order-d', status: 'dispatched' })
    const customer = await service.as(TEST_IDENTITIES.customer)
    expect((await http(`${service.url}/shipments?orderId=order-d`, { headers: customer })).status).toBe(403)
  })
})
