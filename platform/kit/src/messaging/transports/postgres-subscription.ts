import type { Database } from '../../db/database.js'
import type { Logger } from '../../log/logger.js'
import { backoffDelay, sleep } from '../backoff.js'
import { compilePattern } from '../pattern.js'
import type { Delivery, SubscriptionSpec } from '../transport.js'
import type { PostgresTransport } from './postgres-transport.js'

/** First half of the advisory lock key that makes a group's claims take turns. */
const CLAIM_LOCK = 7_310_552

/**
 * One consumer group's subscription in one instance on the Postgres
 * transport: binds the group's patterns, claims deliveries (woken by
 * NOTIFY, polling slowly as a fallback), extends the leases of what it
 * holds, and acknowledges in batches.
 */
export class PgSubscription {
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
