import { createTestDatabase, eventually } from '@trellis/testing'
import { describe, expect, inject, it } from 'vitest'
import { transportConformance } from './conformance.js'
import { inOrderPerKey, Peer, recorder, uniqueSource } from './harness.js'

// One broker database for this file, on the run's embedded PostgreSQL.
let brokerUrl: string | undefined
const broker = async () => {
  brokerUrl ??= await createTestDatabase(inject('postgresUrl'), 'broker')
  return brokerUrl
}

transportConformance({
  kind: 'postgres',
  brokerUrl: broker,
  through: (port) => {
    const url = new URL(brokerUrl!)
    url.port = String(port)
    return url.toString()
  },
  targetPort: () => Number(new URL(inject('postgresUrl')).port),
})

describe('postgres transport', () => {
  it("keeps a key's events in order across competing replicas, retries included", async () => {
    const source = uniqueSource()
    const type = `${source}.item.changed`
    const db = await createTestDatabase(inject('postgresUrl'), 'msg')
    const flaky = new Set<string>()
    const handler = (name: string) =>
      recorder(name, async (e) => {
        await new Promise((r) => setTimeout(r, Math.random() * 4))
        if (e.data.seq % 7 === 3 && !flaky.has(e.id)) {
          flaky.add(e.id)
          throw new Error('fails once')
        }
      })
    const options = {
      kind: 'postgres' as const,
      brokerUrl: await broker(),
      databaseUrl: db,
      group: `${source}-g`,
    }
    const a = await Peer.start({ ...options, subscriptions: { [type]: handler('a') } })
    const b = await Peer.start({ ...options, subscriptions: { [type]: handler('b') } })
    const producer = await Peer.start({
      ...options,
      group: source,
      databaseUrl: await createTestDatabase(inject('postgresUrl'), 'msg'),
    })
    try {
      for (let round = 0; round < 3; round++)
        await producer.publish(
          Array.from({ length: 20 }, (_, i) => ({
            type,
            key: `key-${i % 4}`,
            data: { seq: round * 20 + i },
          })),
        )
      await eventually(async () => (await a.effects()).length === 60, 30_000, '60 handled')
      const effects = await a.effects()
      expect(inOrderPerKey(effects)).toBe(true)
    } finally {
      for (const p of [producer, b, a]) await p.stop()
    }
  })
})
