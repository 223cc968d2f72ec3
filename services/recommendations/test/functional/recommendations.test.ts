import type { EventDraft } from '@trellis/kit'
import {
  eventually,
  http,
  postgresBrokerEnv,
  startPublisher,
  startTestService,
  type TestPublisher,
  type TestService,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { recommendations } from '../../src/service.js'

// Recommendations with its real database, fed by a stand-in order service
// that publishes order events over the postgres transport.
let service: TestService
let order: TestPublisher
const publish = (draft: EventDraft) => order.publish(draft)

beforeAll(async () => {
  const postgresUrl = inject('postgresUrl')
  const env = await postgresBrokerEnv(postgresUrl, 'reco_broker')
  service = await startTestService(recommendations, { postgresUrl, env })
  order = await startPublisher('order', { postgresUrl, env })
  await service.context.messaging.ready()
})
afterAll(async () => {
  await order?.stop()
  await service?.stop()
})

describe('recommendations', () => {
  it('counts what approved orders bought together, once per order even when delivered twice', async () => {
    const approved = (orderId: string, skus: string[]) =>
      publish({
        type: 'order.order.approved',
        key: orderId,
        data: { orderId, customerId: 'c', items: skus.map((sku) => ({ sku, quantity: 1 })) },
      })
    const first = await approved('o-1', ['TEE-1', 'MUG-1'])
    await approved('o-2', ['TEE-1', 'MUG-1', 'SOCK-1'])
    await approved('o-3', ['TEE-1', 'SOCK-1'])
    await approved('o-4', ['TEE-1', 'MUG-1'])
    // The same event again (same id): no second count.
    await publish({ type: first.type, key: first.key, data: first.data, id: first.id })
    const top = await eventually(
      async () => {
        const res = await http(`${service.url}/skus/TEE-1/bought-together`)
        return res.body.sold.orders === 4 && res.body
      },
      15_000,
      'four orders counted',
    )
    // Every event, the copy included, has left the stand-in's outbox; the counts did not move for the copy.
    await eventually(
      async () => (await order.context.messaging.stats()).outbox.pending === 0,
      10_000,
      'outbox sent',
    )
    expect(top.items).toEqual([
      { sku: 'MUG-1', orders: 3 },
      { sku: 'SOCK-1', orders: 2 },
    ])
    expect((await http(`${service.url}/skus/TEE-1/bought-together`)).body.sold).toEqual({
      units: 4,
      orders: 4,
    })
    expect((await http(`${service.url}/skus/NEW-1/bought-together`)).body).toEqual({
      sku: 'NEW-1',
      sold: { units: 0, orders: 0 },
      items: [],
    })
    expect((await http(`${service.url}/skus/bad sku/bought-together`)).status).toBe(400)
  })
})
