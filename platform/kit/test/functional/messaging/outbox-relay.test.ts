import { createTestDatabase, eventually } from '@trellis/testing'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { Database } from '../../../src/db/database.js'
import { migrate } from '../../../src/db/migrations.js'
import type { Envelope } from '../../../src/messaging/envelope.js'
import { MESSAGING_MIGRATIONS, MESSAGING_NAMESPACE } from '../../../src/messaging/messaging-tables.js'
import { outboxStats, writeAllToOutbox } from '../../../src/messaging/outbox.js'
import { OutboxRelay } from '../../../src/messaging/outbox-relay.js'
import type { Transport } from '../../../src/messaging/transport.js'
import { silent } from './harness.js'

/**
 * The relay against a real outbox, with a transport that records what it
 * is given (the transports themselves have their own conformance suite).
 */
class RecordingTransport implements Transport {
  readonly kind = 'postgres' as const
  readonly published: Envelope[] = []
  inFlight = 0
  maxInFlight = 0
  /** While held, publish does not answer (a relay stuck, then cut off, mid-batch); `letGo` ends it with an error. */
  private held: { promise: Promise<void>; fail: () => void } | undefined

  hold(): void {
    let fail!: () => void
    const promise = new Promise<void>((_, reject) => {
      fail = () => reject(new Error('publish timed out'))
    })
    promise.catch(() => undefined)
    this.held = { promise, fail }
  }

  letGo(): void {
    this.held?.fail()
  }

  async start() {}
  async subscribe(): Promise<never> {
    throw new Error('not used')
  }
  connected() {
    return true
  }
  async close() {}

  async publish(envelopes: Envelope[]): Promise<void> {
    this.inFlight += 1
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      if (this.held) await this.held.promise
      // A broker's confirm takes a moment: long enough for two relays to overlap, if they could.
      await new Promise((r) => setTimeout(r, 2))
      this.published.push(...envelopes)
    } finally {
      this.inFlight -= 1
    }
  }
}

const databases: Database[] = []
const relays: OutboxRelay[] = []
const transports: RecordingTransport[] = []
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.letGo()
  for (const relay of relays.splice(0)) await relay.stop().catch(() => undefined)
  for (const db of databases.splice(0)) await db.close()
})

async function outbox(): Promise<Database> {
  const db = new Database({ url: await createTestDatabase(inject('postgresUrl'), 'relay'), log: silent })
  databases.push(db)
  await migrate(db, MESSAGING_MIGRATIONS, { namespace: MESSAGING_NAMESPACE })
  return db
}

function relay(db: Database, transport: Transport): OutboxRelay {
  // Each relay its own pool, as each replica has.
  const own = new Database({ url: db.url, maxConnections: 3, log: silent })
  databases.push(own)
  const started = new OutboxRelay({
    db: own,
    transport,
    log: silent,
    batchSize: 25,
    pollMs: 100,
    retryBaseMs: 20,
    retryMaxMs: 100,
  })
  relays.push(started)
  started.start()
  return started
}

const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'shop.item.changed',
    key: `k${(from + i) % 7}`,
    data: { seq: from + i },
  }))

function seqsByKey(published: Envelope[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>()
  for (const e of published) byKey.set(e.key, [...(byKey.get(e.key) ?? []), (e.data as { seq: number }).seq])
  return byKey
}

describe('outbox relay', () => {
  it('lets replicas take turns: every event published once, in commit order per key, one batch at a time', async () => {
    const db = await outbox()
    const transport = new RecordingTransport()
    relay(db, transport)
    relay(db, transport)
    relay(db, transport)
    for (let from = 0; from < 300; from += 30)
      await db.tx((tx) => writeAllToOutbox(tx, 'shop', events(from, 30)))
    await eventually(() => transport.published.length >= 300, 20_000, '300 events published')
    await new Promise((r) => setTimeout(r, 300))
    // None twice: a relay that takes the turn just after another's commit must read after that commit
    // (the turn once was taken inside the read, and under load a batch went out twice).
    expect(new Set(transport.published.map((e) => e.id)).size).toBe(300)
    expect(transport.published).toHaveLength(300)
    expect(transport.maxInFlight).toBe(1)
    for (const seqs of seqsByKey(transport.published).values())
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect((await outboxStats(db)).pending).toBe(0)
  })

  it('hands the turn on when the relay holding it is cut off mid-batch; its batch goes out again', async () => {
    const db = await outbox()
    const stuck = new RecordingTransport()
    stuck.hold()
    transports.push(stuck)
    relay(db, stuck)
    await db.tx((tx) => writeAllToOutbox(tx, 'shop', events(0, 20)))
    await eventually(() => stuck.inFlight === 1, 10_000, 'the first relay holds a batch')
    const healthy = new RecordingTransport()
    relay(db, healthy)
    await new Promise((r) => setTimeout(r, 300))
    // The turn is held: nothing overtakes the stuck batch.
    expect(healthy.published).toHaveLength(0)
    // Its connection goes (the process died): the lock goes with it.
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7310553 AND granted`,
    )
    await db.tx((tx) => writeAllToOutbox(tx, 'shop', events(20, 5)))
    await eventually(() => healthy.published.length === 25, 10_000, 'the other relay published all')
    expect(healthy.published.map((e) => (e.data as { seq: number }).seq)).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    )
    expect((await outboxStats(db)).pending).toBe(0)
  })
})
