import { Database } from '../../db/database.js'
import { migrate } from '../../db/migrations.js'
import type { Envelope } from '../envelope.js'
import { MessagingErrors } from '../messaging-errors.js'
import { PgListener } from '../pg-listener.js'
import type { Delivery, Subscription, SubscriptionSpec, Transport } from '../transport.js'
import type { TransportOptions } from './create-transport.js'
import { BROKER_CHANNEL, BROKER_MIGRATIONS, BROKER_NAMESPACE } from './postgres-broker-schema.js'
import { PgSubscription } from './postgres-subscription.js'

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
 * group and NOTIFYs the groups; a consumer claims the waiting deliveries
 * of keys no other consumer holds (claims of a group take turns under an
 * advisory lock, so a group handles a key's events strictly in order even
 * across replicas), holds them under a lease it extends while handling, and
 * deletes them when done. A consumer that dies leaves its lease to expire;
 * the deliveries are then claimed again.
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
