import { createTestDatabase, eventually, startTcpProxy } from '@trellis/testing'
import { afterEach, describe, expect, inject, it } from 'vitest'
import type { Envelope } from '../../../src/messaging/envelope.js'
import { outboxStats } from '../../../src/messaging/outbox.js'
import type { Delivery, TransportKind } from '../../../src/messaging/transport.js'
import { createTransport } from '../../../src/messaging/transports/create-transport.js'
import { inOrderPerKey, Peer, type PeerOptions, recorder, silent, uniqueSource } from './harness.js'

export interface ConformanceTarget {
  kind: TransportKind
  /** The broker URL for this file's tests. */
  brokerUrl(): Promise<string>
  /** The same broker reached through a local TCP proxy on `port`, and the port the proxy forwards to. */
  through(port: number): string
  targetPort(): number
  /** Removes what a test left on a shared broker (queues, consumers), given its groups. */
  cleanup?(groups: string[], source: string): Promise<void>
}

const WAIT = 30_000

/**
 * The contract every transport adapter meets, run against each of them
 * (postgres.test.ts, rabbitmq.test.ts, nats.test.ts): publishing through
 * the outbox, fan-out to groups and competition inside one, per-key order,
 * retries, dead letters and replay, duplicates, redelivery of what a
 * departed consumer held, and an outage of the transport.
 */
export function transportConformance(target: ConformanceTarget): void {
  const peers: Peer[] = []
  const cleanups: Array<() => Promise<unknown>> = []
  let groups: string[] = []
  let source = ''

  afterEach(async () => {
    for (const peer of peers.splice(0).reverse()) await peer.stop().catch(() => undefined)
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
    await target.cleanup?.(groups, source).catch(() => undefined)
    groups = []
  })

  const database = () => createTestDatabase(inject('postgresUrl'), 'msg')
  async function peer(options: Partial<PeerOptions> & { group: string; databaseUrl: string }): Promise<Peer> {
    if (!groups.includes(options.group)) groups.push(options.group)
    const started = await Peer.start({ kind: target.kind, brokerUrl: await target.brokerUrl(), ...options })
    peers.push(started)
    return started
  }
  const fresh = () => {
    source = uniqueSource()
    return { source, type: `${source}.item.changed`, group: (name: string) => `${source}-${name}` }
  }

  describe(`${target.kind} transport conformance`, () => {
    it('delivers every committed event to every group once, envelope intact; replicas of a group share the work', async () => {
      const t = fresh()
      const seen: Envelope[] = []
      const dbA = await database()
      const dbB = await database()
      const a1 = await peer({
        group: t.group('a'),
        databaseUrl: dbA,
        subscriptions: { [t.type]: recorder('a1') },
      })
      const a2 = await peer({
        group: t.group('a'),
        databaseUrl: dbA,
        subscriptions: { [t.type]: recorder('a2') },
      })
      const b = await peer({
        group: t.group('b'),
        databaseUrl: dbB,
        subscriptions: { [`${t.source}.*.changed`]: recorder('b', (e) => void seen.push(e)) },
      })
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      const published: Envelope[] = []
      for (let batch = 0; batch < 3; batch++) {
        published.push(
          ...(await producer.publish(
            Array.from({ length: 10 }, (_, i) => ({
              type: t.type,
              key: `k${i % 5}`,
              data: { seq: batch * 10 + i },
              ...(batch === 0 && i === 0
                ? { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }
                : {}),
            })),
          )),
        )
      }
      const ids = published.map((e) => e.id).sort()
      await eventually(async () => (await a1.effects()).length === 30, WAIT, 'group a handled 30')
      await eventually(async () => (await b.effects()).length === 30, WAIT, 'group b handled 30')
      expect((await a1.effects()).map((e) => e.message_id).sort()).toEqual(ids)
      expect((await b.effects()).map((e) => e.message_id).sort()).toEqual(ids)
      expect(a1.consumer.stats.handled + a2.consumer.stats.handled).toBe(30)
      const first = seen.find((e) => e.id === published[0]!.id)
      expect(first).toEqual(published[0])
      expect(first?.traceparent).toMatch(/^00-/)
    })

    it("keeps each key's events in publish order within a consumer", async () => {
      const t = fresh()
      const consumer = await peer({
        group: t.group('ordered'),
        databaseUrl: await database(),
        prefetch: 16,
        subscriptions: {
          [t.type]: recorder('c', () => new Promise((r) => setTimeout(r, Math.random() * 3))),
        },
      })
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      for (let round = 0; round < 4; round++)
        await producer.publish(
          Array.from({ length: 20 }, (_, i) => ({
            type: t.type,
            key: `key-${i % 5}`,
            data: { seq: round * 20 + i },
          })),
        )
      await eventually(async () => (await consumer.effects()).length === 80, WAIT, '80 handled')
      expect(inOrderPerKey(await consumer.effects())).toBe(true)
    })

    it('publishes nothing for a rolled-back transaction', async () => {
      const t = fresh()
      const consumer = await peer({
        group: t.group('c'),
        databaseUrl: await database(),
        subscriptions: { [t.type]: recorder('c') },
      })
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      await expect(
        producer.db.tx(async (tx) => {
          const { writeToOutbox } = await import('../../../src/messaging/outbox.js')
          await writeToOutbox(tx, t.source, { type: t.type, key: 'x', data: { seq: 1 } })
          throw new Error('the write failed')
        }),
      ).rejects.toThrow('the write failed')
      await producer.publish([{ type: t.type, key: 'x', data: { seq: 2 } }])
      await eventually(async () => (await consumer.effects()).length === 1, WAIT, 'the committed event')
      expect((await consumer.effects()).map((e) => e.seq)).toEqual([2])
    })

    it('retries a failing handler with backoff and has its effect once', async () => {
      const t = fresh()
      const failures = new Map<string, number>()
      const consumer = await peer({
        group: t.group('retry'),
        databaseUrl: await database(),
        maxAttempts: 4,
        subscriptions: {
          [t.type]: recorder('c', (e) => {
            const n = failures.get(e.id) ?? 0
            if (n < 2) {
              failures.set(e.id, n + 1)
              throw new Error(`flaky dependency, try ${n + 1}`)
            }
          }),
        },
      })
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      await producer.publish([{ type: t.type, key: 'r', data: { seq: 1 } }])
      await eventually(async () => (await consumer.effects()).length === 1, WAIT, 'handled after retries')
      expect(consumer.consumer.stats.retries).toBe(2)
      expect(await consumer.consumer.deadLetters.waiting()).toBe(0)
    })

    it('moves a poison message to the dead letters, keeps other keys flowing, and replays it with one effect', async () => {
      const t = fresh()
      let fixed = false
      const consumer = await peer({
        group: t.group('poison'),
        databaseUrl: await database(),
        maxAttempts: 3,
        subscriptions: {
          [t.type]: recorder('c', (e) => {
            if (e.key === 'poison' && !fixed) throw new Error('cannot handle this one')
          }),
        },
      })
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      const [poison] = await producer.publish([{ type: t.type, key: 'poison', data: { seq: 0 } }])
      await producer.publish(
        Array.from({ length: 5 }, (_, i) => ({ type: t.type, key: `ok-${i}`, data: { seq: i + 1 } })),
      )
      const [letter] = await eventually(
        async () => {
          const list = await consumer.consumer.deadLetters.list({ limit: 10 })
          return list.length === 1 && list
        },
        WAIT,
        'a dead letter',
      )
      expect(letter).toMatchObject({ messageId: poison!.id, type: t.type, attempts: 3, replayedAt: null })
      expect(letter!.error).toContain('cannot handle this one')
      await eventually(async () => (await consumer.effects()).length === 5, WAIT, 'the other keys handled')

      fixed = true
      expect(await consumer.consumer.replay(letter!.id)).toMatchObject({ alreadyHandled: false })
      expect(await consumer.consumer.replay(letter!.id)).toMatchObject({ alreadyHandled: true })
      const effects = await consumer.effects()
      expect(effects.filter((e) => e.message_id === poison!.id)).toHaveLength(1)
      expect(await consumer.consumer.deadLetters.waiting()).toBe(0)
    })

    it('has one effect for an event published twice', async () => {
      const t = fresh()
      const consumer = await peer({
        group: t.group('dup'),
        databaseUrl: await database(),
        subscriptions: { [t.type]: recorder('c') },
      })
      const producer = await peer({ group: t.source, databaseUrl: await database(), relay: false })
      const { createEnvelope } = await import('../../../src/messaging/envelope.js')
      const twice = createEnvelope(t.source, { type: t.type, key: 'd', data: { seq: 1 } })
      await producer.transport.publish([twice])
      await producer.transport.publish([
        twice,
        createEnvelope(t.source, { type: t.type, key: 'd', data: { seq: 2 } }),
      ])
      await eventually(async () => (await consumer.effects()).length >= 2, WAIT, 'both events')
      await eventually(
        async () => (await consumer.effects()).filter((e) => e.message_id === twice.id).length === 1,
        WAIT,
        'the first once',
      )
      expect((await consumer.effects()).map((e) => e.seq)).toEqual([1, 2])
    })

    async function holder(group: string, type: string, url: string) {
      const transport = await createTransport({
        kind: target.kind,
        url,
        log: silent,
        leaseMs: 2_000,
        pollMs: 200,
      })
      await transport.start()
      const received: Delivery[] = []
      const subscription = await transport.subscribe({ group, patterns: [type], prefetch: 4 }, (d) =>
        received.push(d),
      )
      await subscription.ready()
      return { transport, received }
    }

    it('gives the messages a consumer holds back to its group when it closes', async () => {
      const t = fresh()
      const group = t.group('held')
      groups.push(group)
      const first = await holder(group, t.type, await target.brokerUrl())
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      await producer.publish([{ type: t.type, key: 'h', data: { seq: 1 } }])
      const held = await eventually(() => first.received[0], WAIT, 'first delivery')
      expect(held.deliveryCount).toBe(1)
      await first.transport.close()
      const second = await holder(group, t.type, await target.brokerUrl())
      cleanups.push(() => second.transport.close())
      const again = await eventually(() => second.received[0], WAIT, 'redelivery')
      expect(Buffer.from(again.body).toString()).toBe(Buffer.from(held.body).toString())
      await again.ack()
    })

    it('redelivers what a consumer held when it is cut off mid-handler, counting the delivery', async () => {
      const t = fresh()
      const group = t.group('crashed')
      groups.push(group)
      await target.brokerUrl()
      const proxy = await startTcpProxy(target.targetPort())
      const doomed = await holder(group, t.type, target.through(proxy.port))
      cleanups.push(
        () => proxy.close(),
        () => doomed.transport.close(),
      )
      const survivor = await holder(group, t.type, await target.brokerUrl())
      cleanups.push(() => survivor.transport.close())
      const producer = await peer({ group: t.source, databaseUrl: await database() })
      // Enough messages that the doomed consumer holds some whatever the balancing.
      await producer.publish(
        Array.from({ length: 8 }, (_, i) => ({ type: t.type, key: `c${i}`, data: { seq: i } })),
      )
      await eventually(() => doomed.received.length > 0, WAIT, 'the doomed consumer holds messages')
      const lost = new Set(doomed.received.map((d) => Buffer.from(d.body).toString()))
      proxy.cut()
      for (const d of survivor.received.splice(0)) await d.ack()
      const redelivered = await eventually(
        async () => {
          for (const d of survivor.received) if (!lost.has(Buffer.from(d.body).toString())) await d.ack()
          const back = survivor.received.filter((d) => lost.has(Buffer.from(d.body).toString()))
          return back.length === lost.size && back
        },
        WAIT,
        "the cut-off consumer's messages redelivered",
      )
      for (const d of redelivered) {
        expect(d.deliveryCount).toBeGreaterThanOrEqual(2)
        await d.ack()
      }
    })

    it('keeps taking writes while the transport is unreachable and delivers them all when it is back', async () => {
      const t = fresh()
      const proxy = await startTcpProxy(target.targetPort())
      cleanups.push(() => proxy.close())
      const consumer = await peer({
        group: t.group('outage'),
        databaseUrl: await database(),
        subscriptions: { [t.type]: recorder('c') },
      })
      const producer = await Peer.start({
        kind: target.kind,
        brokerUrl: target.through(proxy.port),
        group: t.source,
        databaseUrl: await database(),
      })
      peers.push(producer)
      await producer.publish([{ type: t.type, key: 'o', data: { seq: 0 } }])
      await eventually(async () => (await consumer.effects()).length === 1, WAIT, 'first event')

      proxy.cut()
      for (let i = 1; i <= 10; i++) await producer.publish([{ type: t.type, key: 'o', data: { seq: i } }])
      expect((await outboxStats(producer.db)).pending).toBeGreaterThan(0)
      proxy.restore()

      await eventually(async () => (await consumer.effects()).length === 11, WAIT, 'all 11 after the outage')
      await eventually(async () => (await outboxStats(producer.db)).pending === 0, WAIT, 'outbox drained')
      const effects = await consumer.effects()
      expect(effects.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i))
    })
  })
}
