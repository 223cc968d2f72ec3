import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineRoute, defineService, Type } from '@trellis/kit'
import {
  createTestDatabase,
  eventually,
  http,
  startTestService,
  TEST_IDENTITIES,
  type TestService,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { inventory } from '../../src/service.js'

// Inventory consumes catalog.product.created over the Postgres transport;
// catalog is stubbed by a small service that publishes what the test says.
let stock: TestService
let publisher: TestService

const stubCatalog = (migrations: string) =>
  defineService({
    name: 'catalog',
    database: { migrations },
    routes: ({ db, publish }) => [
      defineRoute({
        method: 'POST',
        url: '/emit',
        summary: 'publish an event as catalog would',
        auth: 'public',
        schema: {
          body: Type.Object({ id: Type.Optional(Type.String()), key: Type.String(), data: Type.Unknown() }),
          response: { 200: Type.Object({ id: Type.String() }) },
        },
        handler: async (request) =>
          db.tx(async (tx) => {
            const { id, key, data } = request.body
            const event = await publish(tx, {
              type: 'catalog.product.created',
              key,
              data,
              ...(id ? { id } : {}),
            })
            return { id: event.id }
          }),
      }),
    ],
  })

beforeAll(async () => {
  const postgresUrl = inject('postgresUrl')
  const env = {
    TRELLIS_MESSAGING_TRANSPORT: 'postgres',
    TRELLIS_BROKER_URL: await createTestDatabase(postgresUrl, 'broker'),
    TRELLIS_MESSAGING_MAX_ATTEMPTS: '2',
    TRELLIS_MESSAGING_RETRY_BASE_MS: '10',
  }
  stock = await startTestService(inventory, { postgresUrl, env })
  await stock.context.messaging.ready()
  publisher = await startTestService(stubCatalog(await mkdtemp(join(tmpdir(), 'stub-'))), {
    postgresUrl,
    env,
  })
})
afterAll(async () => {
  await publisher?.stop()
  await stock?.stop()
})

const emit = (body: unknown) => http(`${publisher.url}/emit`, { body })

describe('inventory, on catalog.product.created', () => {
  it("creates an empty stock record for each new SKU, once, and keeps an existing record's stock", async () => {
    await http(`${stock.url}/stock/EXISTING-1`, {
      method: 'PUT',
      body: { lowStockThreshold: 2, onHand: 7 },
      headers: await stock.as(TEST_IDENTITIES.admin),
    })
    const data = {
      productId: 'p1',
      name: 'Kettle',
      skus: [{ sku: 'NEW-1' }, { sku: 'EXISTING-1' }],
      extra: 'ignored',
    }
    const first = await emit({ key: 'p1', data })
    await emit({ id: first.body.id, key: 'p1', data }) // the same event again: no second effect
    const created = await eventually(
      async () => {
        const res = await http(`${stock.url}/stock/NEW-1`, { headers: await stock.as(TEST_IDENTITIES.admin) })
        return res.status === 200 && res.body
      },
      20_000,
      'stock record for NEW-1',
    )
    expect(created).toMatchObject({ onHand: 0, reserved: 0 })
    const existing = await http(`${stock.url}/stock/EXISTING-1`, {
      headers: await stock.as(TEST_IDENTITIES.admin),
    })
    expect(existing.body.onHand).toBe(7)
    // The repeated event id was published, and dropped (by the broker or by the inbox).
    await eventually(
      async () => (await http(`${publisher.url}/messaging/stats`)).body.outbox.pending === 0,
      20_000,
      'both published',
    )
    const stats = (await http(`${stock.url}/messaging/stats`)).body
    expect(stats.consumer.handled).toBe(1)
  })

  it('moves an event it cannot handle to the dead letters, and replays it once fixed over HTTP', async () => {
    await emit({ key: 'p2', data: { skus: [{ sku: 'lower-case-is-invalid' }] } })
    const letter = await eventually(
      async () => (await http(`${stock.url}/messaging/dead-letters`)).body.items[0],
      20_000,
      'a dead letter',
    )
    expect(letter).toMatchObject({ type: 'catalog.product.created', attempts: 2, replayedAt: null })
    const replay = await http(`${stock.url}/messaging/dead-letters/${letter.id}/replay`, { method: 'POST' })
    expect(replay.status).toBe(422)
    expect(replay.body.code).toBe('TRELLIS_MESSAGING_REPLAY_FAILED')
    expect((await http(`${stock.url}/messaging/dead-letters/${letter.id}`)).body.replayCount).toBe(1)
    expect((await http(`${stock.url}/messaging/dead-letters/999999/replay`, { method: 'POST' })).status).toBe(
      404,
    )
    expect(
      (await http(`${stock.url}/messaging/dead-letters/${letter.id}`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect((await http(`${stock.url}/messaging/stats`)).body.deadLetters.waiting).toBe(0)
  })
})
