import { defineService, type EventDraft } from '@trellis/kit'
import {
  createTestDatabase,
  eventually,
  http,
  startTestService,
  TEST_IDENTITIES,
  type TestService,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { notifications } from '../../src/service.js'

// Notifications with its real database, fed by a stand-in order service.
const publisher = defineService({
  name: 'order',
  database: { migrations: new URL('./fixtures/none', import.meta.url) },
  routes: () => [],
})

let service: TestService
let order: TestService
const publish = (draft: EventDraft) => order.context.db.tx((tx) => order.context.publish(tx, draft))

beforeAll(async () => {
  const admin = inject('postgresUrl')
  const env = {
    TRELLIS_MESSAGING_TRANSPORT: 'postgres',
    TRELLIS_BROKER_URL: await createTestDatabase(admin, 'notify_broker'),
    TRELLIS_MESSAGING_POLL_MS: '200',
  }
  service = await startTestService(notifications, { postgresUrl: admin, env })
  order = await startTestService(publisher, { postgresUrl: admin, env })
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
