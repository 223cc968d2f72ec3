import type { EventDraft } from '@trellis/kit'
import {
  eventually,
  http,
  postgresBrokerEnv,
  startPublisher,
  startTestService,
  TEST_IDENTITIES,
  type TestPublisher,
  type TestService,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { notifications } from '../../src/service.js'

// Notifications with its real database, fed by a stand-in order service.
let service: TestService
let order: TestPublisher
const publish = (draft: EventDraft) => order.publish(draft)

beforeAll(async () => {
  const postgresUrl = inject('postgresUrl')
  const env = await postgresBrokerEnv(postgresUrl, 'notify_broker')
  service = await startTestService(notifications, { postgresUrl, env })
  order = await startPublisher('order', { postgresUrl, env })
  await service.context.messaging.ready()
})
afterAll(async () => {
  await order?.stop()
  await service?.stop()
})

describe('notifications', () => {
  it('logs a message per order outcome for its customer, and shows each customer only their own', async () => {
    const customer = TEST_IDENTITIES.customer.subject
    await publish({
      type: 'order.order.approved',
      key: 'o-1',
      data: { orderId: 'o-1', customerId: customer },
    })
    await publish({
      type: 'order.order.rejected',
      key: 'o-2',
      data: { orderId: 'o-2', customerId: customer, reason: 'payment declined' },
    })
    await publish({
      type: 'order.order.approved',
      key: 'o-3',
      data: { orderId: 'o-3', customerId: 'someone-else' },
    })
    const mine = await eventually(
      async () => {
        const res = await http(`${service.url}/notifications`, {
          headers: await service.as(TEST_IDENTITIES.customer),
        })
        return res.body.items.length === 2 && res.body.items
      },
      15_000,
      'two notifications',
    )
    // Events of different orders (keys) carry no order between them: compare as a set.
    expect(mine.map((n: { kind: string }) => n.kind).sort()).toEqual(['order-approved', 'order-rejected'])
    expect(mine.find((n: { kind: string }) => n.kind === 'order-rejected').subject).toMatch(
      /payment declined/,
    )
    // The other customer's event has no order with these two: wait for it too.
    const adminHeaders = await service.as(TEST_IDENTITIES.admin)
    await eventually(
      async () =>
        (await http(`${service.url}/notifications`, { headers: adminHeaders })).body.items.length === 3,
      15_000,
      'all three notifications, for an admin',
    )
    expect((await http(`${service.url}/notifications`)).status).toBe(401)
  })
})
