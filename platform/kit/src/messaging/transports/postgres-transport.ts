import { Database } from '../../db/database.js'
import { migrate } from '../../db/migrations.js'
import type { Logger } from '../../log/logger.js'
import { backoffDelay, sleep } from '../backoff.js'
import type { Envelope } from '../envelope.js'
import { MessagingErrors } from '../messaging-errors.js'
import { compilePattern } from '../pattern.js'
import { PgListener } from '../pg-listener.js'
import type { Delivery, Subscription, SubscriptionSpec, Transport } from '../transport.js'
import type { TransportOptions } from './create-transport.js'
import { BROKER_CHANNEL, BROKER_MIGRATIONS, BROKER_NAMESPACE } from './postgres-broker-schema.js'

/** First half of the advisory lock key that makes a group's claims take turns. */
const CLAIM_LOCK = 7_310_552

const DEFAULTS = {
  leaseMs: 15_000,
  pollMs: 1_000,
  // Each instance claims, acknowledges and publishes on a few connections; the server is shared by all.
  poolMax: 4,
  // Published messages nobody needs any more are removed after this long.
  purgeEveryMs: 60_000,
}

/**
 * Messaging over PostgreSQL: the default, needing nothing but the embedded
 * server. Publishing inserts the message and one delivery row per bound
 * group and NOTIFYs the groups; a consumer claims deliveries with
 * `FOR UPDATE SKIP LOCKED`, only the earliest pending one of each key (so a
 * group handles a key's events strictly in order even across replicas),
 * holds them under a lease it extends while handling, and deletes them when
 * done. A consumer that dies leaves its lease to expire; the delivery is
 * then claimed again.
 */
export class PostgresTransport implements Transport {
  readonly kind = 'postgres' as const
  private readonly db: Database
  private readonly listener: PgListener
  private readonly subscriptions = new Set<PgSubscription>()
  private readonly leaseMs: number
  private readonly pollMs: number
  private schema: Promise<void> | undefined
  private up = false
  private purgeTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: TransportOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULTS.leaseMs
    this.pollMs = options.pollMs ?? DEFAULTS.pollMs
    this.db = new Database({
      url: options.url,
      maxConnections: DEFAULTS.poolMax,
      applicationName: options.clientName ?? 'trellis-messaging',
      log: options.log,
    })
    this.listener = new PgListener(
      options.url,
      BROKER_CHANNEL,
      (group) => {
        for (const s of this.subscriptions) if (s.group === group) s.wake()
      },
      options.log,
      () => {
        for (const s of this.subscriptions) s.wake()
      },
    )
  }

  async start(): Promise<void> {
    this.listener.start()
    void this.ensureSchema().catch(() => undefined)
    this.purgeTimer = setInterval(() => void this.purge().catch(() => undefined), DEFAULTS.purgeEveryMs)
    this.purgeTimer.unref()
  }

  connected(): boolean {
    return this.up
  }

  /** Creates the broker tables once; retried by the next caller while the server is down. */
  ensureSchema(): Promise<void> {
    this.schema ??= migrate(this.db, BROKER_MIGRATIONS, { namespace: BROKER_NAMESPACE }).then(
      () => {
        this.up = true
      },
      (error) => {
        this.schema = undefined
        this.up = false
        throw error
      },
    )
    return this.schema
  }

  async publish(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return
    try {
      await this.ensureSchema()
      // One statement, so one round trip: it is atomic on its own.
      await this.db.query(
        `WITH input AS (
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS i(event_id, type, key, body, n)
           ), stored AS (
             INSERT INTO trellis_broker_messages (event_id, type, key, body)
             SELECT event_id, type, key, body FROM input ORDER BY n
             ON CONFLICT (event_id) DO NOTHING
             RETURNING id, type, key
           ), delivered AS (
             INSERT INTO trellis_broker_deliveries (group_name, message_id, key)
             SELECT DISTINCT b.group_name, s.id, s.key FROM stored s JOIN trellis_broker_bindings b ON s.type ~ b.regex
             RETURNING group_name
           )
           SELECT pg_notify('${BROKER_CHANNEL}', g.group_name) FROM (SELECT DISTINCT group_name FROM delivered) g`,
        [
          envelopes.map((e) => e.id),
          envelopes.map((e) => e.type),
          envelopes.map((e) => e.key),
          envelopes.map((e) => JSON.stringify(e)),
        ],
      )
      this.up = true
    } catch (error) {
      this.up = false
      throw MessagingErrors.transportUnavailable('postgres', (error as Error).message)
    }
  }

  async subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => void): Promise<Subscription> {
    const subscription = new PgSubscription(
      this,
      this.db,
      spec,
      deliver,
      this.options.log,
      this.leaseMs,
      this.pollMs,
    )
    this.subscriptions.add(subscription)
    subscription.start()
    return {
      ready: () => subscription.bound,
      stop: async () => {
        await subscription.stop()
      },
    }
  }

  async close(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer)
    for (const s of this.subscriptions) await s.stop()
    // Unacknowledged deliveries go back to the group at once rather than when their lease runs out.
    for (const s of this.subscriptions) await s.releaseAll().catch(() => undefined)
    this.subscriptions.clear()
    await this.listener.stop()
    await this.db.close()
  }

  private async purge(): Promise<void> {
    await this.db.query(
      `DELETE FROM trellis_broker_messages m WHERE published_at < now() - interval '10 minutes'
       AND NOT EXISTS (SELECT 1 FROM trellis_broker_deliveries d WHERE d.message_id = m.id)`,
    )
  }

  markDown(): void {
    this.up = false
  }
}

class PgSubscription {
  private readonly inFlight = new Set<string>()
  private acks: Array<{ id: string; done: (error?: unknown) => void }> = []
  private stopped = false
  private loop: Promise<void> | undefined
  private wakeUp: (() => void) | undefined
  private pendingWake = false
  private isBound = false
  private markBound!: () => void
  readonly bound = new Promise<void>((resolve) => {
    this.markBound = resolve
  })
  private leaseTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly transport: PostgresTransport,
    private readonly db: Database,
    private readonly spec: SubscriptionSpec,
    private readonly deliver: (delivery: Delivery) => void,
    private readonly log: Logger,
    private readonly leaseMs: number,
    private readonly pollMs: number,
  ) {}

  get group(): string {
    return this.spec.group
  }

  start(): void {
    this.loop = this.run()
    // Handlers still running keep their deliveries: extend the lease well before it ends.
    this.leaseTimer = setInterval(() => void this.extendLeases().catch(() => undefined), this.leaseMs / 3)
    this.leaseTimer.unref()
  }

  wake(): void {
    this.pendingWake = true
    this.wakeUp?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wakeUp?.()
    await this.loop
    if (this.leaseTimer) clearInterval(this.leaseTimer)
  }

  async releaseAll(): Promise<void> {
    if (this.inFlight.size === 0) return
    await this.db.query(
      'UPDATE trellis_broker_deliveries SET visible_at = now() WHERE group_name = $1 AND message_id = ANY($2)',
      [this.spec.group, [...this.inFlight]],
    )
    this.inFlight.clear()
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.stopped) {
      this.pendingWake = false
      let claimed = 0
      const capacity = this.spec.prefetch - this.inFlight.size
      try {
        if (!this.isBound) await this.bind()
        if (capacity > 0) claimed = await this.claim(capacity)
        failures = 0
      } catch (error) {
        failures += 1
        this.transport.markDown()
        if (failures === 1)
          this.log.warn({ err: error, group: this.spec.group }, 'cannot reach the broker database; retrying')
        await sleep(backoffDelay(failures, 100, 5_000))
        continue
      }
      if ((capacity > 0 && claimed === capacity) || this.pendingWake) continue
      await this.idle()
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        done()
      }
      if (this.stopped) done()
    })
  }

  private async bind(): Promise<void> {
    await this.transport.ensureSchema()
    for (const text of this.spec.patterns) {
      const pattern = compilePattern(text)
      await this.db.query(
        `INSERT INTO trellis_broker_bindings (group_name, pattern, regex) VALUES ($1, $2, $3)
         ON CONFLICT (group_name, pattern) DO UPDATE SET regex = EXCLUDED.regex`,
        [this.spec.group, pattern.text, pattern.regex],
      )
    }
    this.isBound = true
    this.markBound()
  }

  /**
   * Claims up to `limit` deliveries: each one whose key has no earlier
   * delivery held by a consumer (in flight, or released for later). A key's
   * run of waiting events is claimed together, in order, by one consumer,
   * whose kit handles them one after another. Claims of one group take turns
   * (a transaction-scoped advisory lock), so two consumers never split a
   * key's run between them; a claim is one short statement.
   */
  private async claim(limit: number): Promise<number> {
    // Lock, then claim with a snapshot taken after the lock (READ COMMITTED: one per statement), in
    // one round trip: a multi-statement simple query, so its values are literals.
    const client = await this.db.pool.connect()
    let rows: Array<{ message_id: string; deliveries: number; body: string }>
    try {
      const group = client.escapeLiteral(this.spec.group)
      const results = (await client.query(
        `BEGIN;
         SELECT pg_advisory_xact_lock(${CLAIM_LOCK}, hashtext(${group}));
         WITH held AS (
           SELECT DISTINCT key FROM trellis_broker_deliveries WHERE group_name = ${group} AND visible_at > now()
         ), ready AS (
           SELECT d.group_name, d.message_id FROM trellis_broker_deliveries d
           WHERE d.group_name = ${group} AND d.key NOT IN (SELECT key FROM held)
           ORDER BY d.message_id LIMIT ${Math.floor(limit)}
         )
         UPDATE trellis_broker_deliveries d
         SET deliveries = d.deliveries + 1, visible_at = now() + make_interval(secs => ${this.leaseMs / 1000})
         FROM ready r, trellis_broker_messages m
         WHERE d.group_name = r.group_name AND d.message_id = r.message_id AND m.id = d.message_id
         RETURNING d.message_id, d.deliveries, m.body;
         COMMIT;`,
      )) as unknown as Array<{ rows: Array<{ message_id: string; deliveries: number; body: string }> }>
      rows = results[2]!.rows
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      client.release()
      throw error
    }
    client.release()
    rows.sort((a, b) => Number(a.message_id) - Number(b.message_id))
    for (const row of rows) {
      this.inFlight.add(row.message_id)
      this.deliver(this.delivery(row.message_id, row.deliveries, row.body))
    }
    return rows.length
  }

  private delivery(messageId: string, deliveryCount: number, body: string): Delivery {
    // Claim again when half the prefetch is free (or all of it): one claim per several acks, not one per ack.
    const settle = () => {
      this.inFlight.delete(messageId)
      if (this.inFlight.size <= Math.floor(this.spec.prefetch / 2)) this.wake()
    }
    return {
      body,
      deliveryCount,
      // Settled either way: a delivery whose ack was lost must not have its lease extended for ever.
      ack: async () => {
        try {
          await this.ack(messageId)
        } finally {
          settle()
        }
      },
      release: async (delayMs) => {
        try {
          await this.db.query(
            `UPDATE trellis_broker_deliveries SET visible_at = now() + make_interval(secs => $3)
             WHERE group_name = $1 AND message_id = $2`,
            [this.spec.group, messageId, delayMs / 1000],
          )
        } finally {
          settle()
        }
      },
    }
  }

  /** Acks that arrive together are deleted in one statement. */
  private ack(messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.acks.push({ id: messageId, done: (error) => (error ? reject(error) : resolve()) })
      if (this.acks.length === 1) setImmediate(() => void this.flushAcks())
    })
  }

  private async flushAcks(): Promise<void> {
    const batch = this.acks
    this.acks = []
    try {
      await this.db.query(
        'DELETE FROM trellis_broker_deliveries WHERE group_name = $1 AND message_id = ANY($2)',
        [this.spec.group, batch.map((a) => a.id)],
      )
      for (const a of batch) a.done()
    } catch (error) {
      for (const a of batch) a.done(error)
    }
  }

  private async extendLeases(): Promise<void> {
    if (this.inFlight.size === 0) return
    await this.db.query(
      `UPDATE trellis_broker_deliveries SET visible_at = now() + make_interval(secs => $3)
       WHERE group_name = $1 AND message_id = ANY($2)`,
      [this.spec.group, [...this.inFlight], this.leaseMs / 1000],
    )
  }
}
