import { type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import type pg from 'pg'
import type { Database } from '../db/database.js'
import type { Logger } from '../log/logger.js'
import { contextFromTraceparent, formatTraceparent } from '../tracing/trace-context.js'
import { backoffDelay, sleep } from './backoff.js'
import type { Envelope } from './envelope.js'
import { OUTBOX_CHANNEL } from './outbox.js'
import { PgListener } from './pg-listener.js'
import type { Transport } from './transport.js'

export interface OutboxRelayOptions {
  db: Database
  transport: Transport
  log: Logger
  /** Rows published per transaction. */
  batchSize: number
  /** Poll this often even without a notification (a notification can be missed while reconnecting). */
  pollMs: number
  retryBaseMs: number
  retryMaxMs: number
  /** A PRODUCER span per event that carries a trace, in that trace; its consumers' spans are its children. */
  tracer?: Tracer | undefined
}

export interface RelayStats {
  published: number
  failures: number
  lastError: string | undefined
}

/** The advisory lock whose holder relays (one per service database). */
const RELAY_LOCK = 7_310_553

/**
 * Moves committed outbox rows to the transport, in commit order per key,
 * and marks them sent. Every replica of a service runs one; they take turns
 * without publishing a row twice in the normal case:
 *
 * - a batch is one transaction that takes the turn (a transaction-scoped
 *   advisory lock, tried, never waited for), reads the oldest pending rows,
 *   publishes them (confirms awaited) and marks them sent; a relay without
 *   the turn finds nothing and waits for the next wake-up;
 * - so one batch is in flight at a time and a key's events never overtake
 *   each other, with no per-key bookkeeping;
 * - a replica that dies mid-batch holds no lock any more (its connection
 *   is gone), and the next relay publishes the batch again: at-least-once,
 *   and the consumers' inboxes drop the duplicates.
 *
 * Replicas add availability, not relay throughput: one relay publishes
 * thousands of events a second in batches, more than a service commits.
 */
export class OutboxRelay {
  readonly stats: RelayStats = { published: 0, failures: 0, lastError: undefined }
  private readonly listener: PgListener
  private readonly abort = new AbortController()
  private wakeUp: (() => void) | undefined
  private pendingWake = false
  private loop: Promise<void> | undefined

  constructor(private readonly options: OutboxRelayOptions) {
    this.listener = new PgListener(
      options.db.url,
      OUTBOX_CHANNEL,
      () => this.wake(),
      options.log,
      () => this.wake(),
    )
  }

  start(): void {
    this.listener.start()
    this.loop ??= this.run()
  }

  /** Relay now rather than at the next poll. */
  wake(): void {
    this.pendingWake = true
    this.wakeUp?.()
  }

  /** Stops relaying; events committed by the last requests get one more chance to go out now. */
  async stop(): Promise<void> {
    this.abort.abort()
    this.wakeUp?.()
    await this.loop
    await this.listener.stop()
    if (this.options.transport.connected()) await this.relayBatch().catch(() => undefined)
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.abort.signal.aborted) {
      this.pendingWake = false
      let relayed: number
      try {
        relayed = await this.relayBatch()
        if (failures > 0) this.options.log.info({ afterFailures: failures }, 'outbox relay recovered')
        failures = 0
      } catch (error) {
        failures += 1
        this.stats.failures += 1
        this.stats.lastError = (error as Error).message
        // Say it once per outage, then only now and then: the backlog is in the stats.
        if (failures === 1 || failures % 50 === 0)
          this.options.log.warn(
            { err: error, failures },
            'outbox relay cannot publish; events wait in the outbox',
          )
        await sleep(
          backoffDelay(failures, this.options.retryBaseMs, this.options.retryMaxMs),
          this.abort.signal,
        )
        continue
      }
      if (relayed >= this.options.batchSize || this.pendingWake) continue
      await this.idle(this.options.pollMs)
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        done()
      }
      if (this.abort.signal.aborted) done()
    })
  }

  /**
   * One batch: take the turn, read, publish, mark sent, in one transaction
   * of two round trips (BEGIN with the read, the update with COMMIT: simple
   * queries, so values are literals). Returns the rows published.
   */
  private async relayBatch(): Promise<number> {
    const tx = await this.options.db.pool.connect()
    try {
      const ids = await this.publishOldest(tx)
      await tx.query(
        ids.length === 0
          ? 'COMMIT'
          : `UPDATE trellis_outbox SET sent_at = now(), attempts = attempts + 1
             WHERE id = ANY(${tx.escapeLiteral(`{${ids.join(',')}}`)}::bigint[]); COMMIT`,
      )
      this.stats.published += ids.length
      return ids.length
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      tx.release()
    }
  }

  /** Opens the transaction, takes the relay's turn and a batch, and publishes it; returns the rows' ids. */
  private async publishOldest(tx: pg.PoolClient): Promise<string[]> {
    // The oldest pending rows if this relay has the turn, none if another has it: one round trip.
    // The turn is taken in a statement of its own, so that the read's snapshot (READ COMMITTED: one
    // per statement) is taken after it: a read that took the turn itself would see the previous
    // holder's rows as still pending if that one committed between its snapshot and its lock, and
    // publish them again. The mark "sent" need not wait for the disk: if a crash loses it, the
    // events go out again and the consumers' inboxes drop them.
    const [, , , { rows }] = (await tx.query(
      `BEGIN; SET LOCAL synchronous_commit = off;
       SELECT set_config('trellis.relay_turn', pg_try_advisory_xact_lock(${RELAY_LOCK})::text, true);
       SELECT id, envelope FROM trellis_outbox
       WHERE (SELECT current_setting('trellis.relay_turn') = 'true') AND sent_at IS NULL
       ORDER BY id LIMIT ${Math.floor(this.options.batchSize)}`,
    )) as unknown as [
      pg.QueryResult,
      pg.QueryResult,
      pg.QueryResult,
      pg.QueryResult<{ id: string; envelope: Envelope }>,
    ]
    if (rows.length === 0) return []
    const tracer = this.options.tracer
    const spans = tracer ? rows.map((r) => publishSpan(tracer, r.envelope)) : undefined
    try {
      await this.options.transport.publish(rows.map((r) => r.envelope))
    } catch (error) {
      for (const span of spans ?? []) span?.setStatus({ code: SpanStatusCode.ERROR }).end()
      throw error
    }
    for (const span of spans ?? []) span?.end()
    return rows.map((r) => r.id)
  }
}

/**
 * The span of one event's publication, child of the span that wrote it to
 * the outbox; the envelope then carries this span's context, so that the
 * consumers' spans hang below it, and the trace shows the wait in between.
 */
export function publishSpan(tracer: Tracer, envelope: Envelope): Span | undefined {
  if (!envelope.traceparent) return undefined
  const parent = contextFromTraceparent(envelope.traceparent)
  if (!trace.getSpanContext(parent)) return undefined
  const span = tracer.startSpan(
    `publish ${envelope.type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.operation.type': 'send',
        'messaging.destination.name': envelope.type,
        'messaging.message.id': envelope.id,
      },
    },
    parent,
  )
  envelope.traceparent = formatTraceparent(span.spanContext())
  return span
}
