import { defineSaga, defineService, SagaRefusal, Type } from '@trellis/kit'
import {
  createTestDatabase,
  eventually,
  http,
  NO_MIGRATIONS,
  startTestService,
  TEST_IDENTITIES,
  type TestService,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { inventory } from '../../src/service.js'

// Inventory's saga commands, driven by a stand-in orchestrator (a kit
// service with a saga: reserve → commit, and a last step that fails on cue)
// over the postgres transport; inventory has its real database.
interface Data {
  orderId: string
  items: Array<{ sku: string; quantity: number }>
  failAfter?: boolean
}

const sell = defineSaga<Data>({
  name: 'sell',
  timeoutMs: 10_000,
  steps: [
    {
      name: 'reserve-stock',
      participant: 'inventory',
      action: 'reserve-stock',
      compensation: 'release-stock',
      payload: (d) => d,
    },
    { name: 'commit-stock', participant: 'inventory', action: 'commit-stock', payload: (d) => d },
    // Refuses when asked to: everything before is compensated.
    { name: 'last', participant: 'shop', action: 'last', payload: (d) => d },
  ],
})

const shop = defineService({
  name: 'shop',
  database: { migrations: NO_MIGRATIONS },
  routes: ({ db, sagas }) => [
    {
      method: 'POST',
      url: '/sell',
      summary: 'start a sale',
      access: 'internal',
      schema: { body: Type.Any(), response: { 200: Type.Any() } },
      handler: async (request) =>
        db.tx((tx) => sagas.start(tx, 'sell', (request.body as Data).orderId, request.body)),
    },
  ],
  sagas: [sell],
  commands: {
    last: async (d: Data) => {
      if (d.failAfter) throw new SagaRefusal('the last step says no')
      return null
    },
  },
})

let service: TestService
let orchestrator: TestService
let admin: Record<string, string>

beforeAll(async () => {
  const postgres = inject('postgresUrl')
  const env = {
    TRELLIS_MESSAGING_TRANSPORT: 'postgres',
    TRELLIS_BROKER_URL: await createTestDatabase(postgres, 'inv_broker'),
    TRELLIS_MESSAGING_POLL_MS: '200',
    TRELLIS_SAGAS_POLL_MS: '100',
  }
  service = await startTestService(inventory, { postgresUrl: postgres, env })
  orchestrator = await startTestService(shop, { postgresUrl: postgres, env })
  await Promise.all([service.context.messaging.ready(), orchestrator.context.messaging.ready()])
  admin = await service.as(TEST_IDENTITIES.admin)
  for (const [sku, onHand] of [
    ['RES-1', 5],
    ['RES-2', 2],
  ] as const)
    await http(`${service.url}/stock/${sku}`, {
      method: 'PUT',
      headers: admin,
      body: { lowStockThreshold: 1, onHand },
    })
})
afterAll(async () => {
  await orchestrator?.stop()
  await service?.stop()
})

const sale = async (data: Data) => {
  await http(`${orchestrator.url}/sell`, { body: data })
  return eventually(
    async () => {
      const s = (await http(`${orchestrator.url}/sagas/${data.orderId}`)).body
      return (s.status === 'completed' || s.status === 'compensated') && s
    },
    15_000,
    `sale ${data.orderId}`,
  )
}
const level = async (sku: string) => (await http(`${service.url}/stock/${sku}`, { headers: admin })).body
const reservations = async (orderId: string) =>
  (await http(`${service.url}/reservations/${orderId}`, { headers: admin })).body.items

describe('inventory in the saga', () => {
  it('reserves then sells: on_hand goes down, nothing stays reserved', async () => {
    const s = await sale({ orderId: 'o-sold', items: [{ sku: 'RES-1', quantity: 2 }] })
    expect(s.status).toBe('completed')
    expect(await level('RES-1')).toMatchObject({ onHand: 3, reserved: 0 })
    expect(await reservations('o-sold')).toMatchObject([{ sku: 'RES-1', quantity: 2, status: 'committed' }])
  })

  it('refuses a shortage as a whole: no line is held', async () => {
    const s = await sale({
      orderId: 'o-short',
      items: [
        { sku: 'RES-1', quantity: 1 },
        { sku: 'RES-2', quantity: 3 },
      ],
    })
    expect(s.failure).toMatchObject({
      step: 'reserve-stock',
      kind: 'refused',
      reason: 'not enough stock for RES-2',
    })
    expect(await reservations('o-short')).toEqual([])
    expect(await level('RES-1')).toMatchObject({ onHand: 3, reserved: 0 })
  })

  it('gives sold units back when a later step fails', async () => {
    const s = await sale({ orderId: 'o-back', items: [{ sku: 'RES-2', quantity: 2 }], failAfter: true })
    expect(s.status).toBe('compensated')
    expect(await level('RES-2')).toMatchObject({ onHand: 2, reserved: 0 })
    expect(await reservations('o-back')).toMatchObject([{ status: 'released' }])
    const audit = await http(`${service.url}/reservations-audit`, { headers: admin })
    expect(
      audit.body.items.every((a: { reserved: number; recorded: number }) => a.reserved === a.recorded),
    ).toBe(true)
  })

  it('sells exactly what there is when sales race', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sale({ orderId: `o-race-${i}`, items: [{ sku: 'RES-1', quantity: 1 }] }),
      ),
    )
    expect(results.filter((r) => r.status === 'completed')).toHaveLength(3)
    expect(await level('RES-1')).toMatchObject({ onHand: 0, reserved: 0 })
  })
})
