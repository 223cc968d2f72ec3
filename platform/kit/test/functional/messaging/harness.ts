import { randomBytes } from 'node:crypto'
import { eventually } from '@trellis/testing'
import { Database } from '../../../src/db/database.js'
import { migrate } from '../../../src/db/migrations.js'
import { createLogger } from '../../../src/log/logger.js'
import type { Envelope, EventDraft } from '../../../src/messaging/envelope.js'
import { EventConsumer } from '../../../src/messaging/event-consumer.js'
import { MESSAGING_MIGRATIONS, MESSAGING_NAMESPACE } from '../../../src/messaging/messaging-tables.js'
import { writeToOutbox } from '../../../src/messaging/outbox.js'
import { OutboxRelay } from '../../../src/messaging/outbox-relay.js'
import { compileSubscriptions, type Subscriptions } from '../../../src/messaging/subscriptions.js'
import type { Transport, TransportKind } from '../../../src/messaging/transport.js'
import { createTransport } from '../../../src/messaging/transports/create-transport.js'

export const silent = createLogger({ service: 'messaging-test', instance: 'test', level: 'silent' })

/** A fresh prefix per test: its event types and groups touch nothing else on a shared broker. */
export function uniqueSource(): string {
  return `t${randomBytes(4).toString('hex')}`
}

export interface PeerOptions {
  kind: TransportKind
  brokerUrl: string
  /** The service's database (shared by replicas of one group). */
  databaseUrl: string
  group: string
  subscriptions?: Subscriptions
  relay?: boolean
  maxAttempts?: number
  maxDeliveries?: number
  prefetch?: number
  leaseMs?: number
}

/**
 * One instance of a service as the kit assembles it, without HTTP: its
 * database with the messaging tables, a transport, the relay and the
 * consumer. Tests start several to play publishers, competing replicas and
 * other services.
 */
export class Peer {
  private constructor(
    readonly db: Database,
    readonly transport: Transport,
    readonly relay: OutboxRelay | undefined,
    readonly consumer: EventConsumer,
    private readonly source: string,
  ) {}

  static async start(options: PeerOptions): Promise<Peer> {
    const db = new Database({ url: options.databaseUrl, maxConnections: 5, log: silent })
    await migrate(db, MESSAGING_MIGRATIONS, { namespace: MESSAGING_NAMESPACE })
    await db.query(
      'CREATE TABLE IF NOT EXISTS effects (n bigserial PRIMARY KEY, message_id uuid NOT NULL, key text NOT NULL, seq integer NOT NULL, consumer text NOT NULL)',
    )
    const transport = await createTransport({
      kind: options.kind,
      url: options.brokerUrl,
      log: silent,
      leaseMs: options.leaseMs ?? 3_000,
      pollMs: 200,
      clientName: options.group,
    })
    await transport.start()
    await eventually(() => transport.connected(), 20_000, `${options.kind} connection`)
    const relay =
      options.relay === false
        ? undefined
        : new OutboxRelay({
            db,
            transport,
            log: silent,
            batchSize: 100,
            pollMs: 200,
            retryBaseMs: 50,
            retryMaxMs: 500,
          })
    relay?.start()
    const consumer = new EventConsumer({
      group: options.group,
      db,
      transport,
      subscriptions: compileSubscriptions(options.subscriptions ?? {}),
      log: silent,
      maxAttempts: options.maxAttempts ?? 3,
      maxDeliveries: options.maxDeliveries ?? 10,
      retryBaseMs: 20,
      retryMaxMs: 100,
      prefetch: options.prefetch ?? 16,
      drainTimeoutMs: 2_000,
    })
    await consumer.start()
    await withTimeout(consumer.ready(), 20_000, `subscription of ${options.group}`)
    return new Peer(db, transport, relay, consumer, options.group)
  }

  /** Writes events to the outbox in one transaction (the relay publishes them after the commit). */
  publish(drafts: EventDraft[]): Promise<Envelope[]> {
    return this.db.tx(async (tx) => {
      const out: Envelope[] = []
      for (const draft of drafts) out.push(await writeToOutbox(tx, this.source, draft))
      return out
    })
  }

  async effects(): Promise<Array<{ message_id: string; key: string; seq: number; consumer: string }>> {
    const { rows } = await this.db.query<{ message_id: string; key: string; seq: number; consumer: string }>(
      'SELECT message_id, key, seq, consumer FROM effects ORDER BY n',
    )
    return rows
  }

  async stop(): Promise<void> {
    await this.consumer.stop()
    await this.relay?.stop()
    await this.transport.close()
    await this.db.close()
  }
}

/** A handler that records its effect in the handler's transaction. */
export function recorder(
  consumer: string,
  before?: (event: Envelope<{ seq: number }>) => Promise<void> | void,
) {
  return async (event: Envelope<{ seq: number }>, { tx }: { tx: { query: Database['query'] } }) => {
    await before?.(event)
    await tx.query('INSERT INTO effects (message_id, key, seq, consumer) VALUES ($1, $2, $3, $4)', [
      event.id,
      event.key,
      event.data.seq,
      consumer,
    ])
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not ready within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Whether every key's events were handled in publish order. */
export function inOrderPerKey(effects: Array<{ key: string; seq: number }>): boolean {
  const last = new Map<string, number>()
  for (const e of effects) {
    if ((last.get(e.key) ?? -1) >= e.seq) return false
    last.set(e.key, e.seq)
  }
  return true
}
