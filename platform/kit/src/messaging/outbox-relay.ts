import { type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
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

/**
 * Moves committed outbox rows to the transport, in order per key, and marks
 * them sent. Every replica of a service runs one; they share the work
 * without publishing a row twice in the normal case:
 *
 * - a batch is claimed with `FOR UPDATE SKIP LOCKED`, in one transaction
 *   that also publishes (confirms awaited) and marks the rows sent;
 * - a key whose earlier row is held by another replica is left out of the
 *   batch, so a key's events never overtake each other;
 * - a replica that dies mid-batch holds no lock any more (its connection
 *   is gone), and another publishes the batch again: at-least-once, and the
 *   consumers' inboxes drop the duplicates.
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

  /** One batch: claim, publish, mark sent, in one transaction. Returns the rows claimed. */
  private relayBatch(): Promise<number> {
    return this.options.db.tx(async (tx) => {
      // Claim a batch, and leave out keys whose earlier event another relay holds (it is pending,
      // not in our batch, so it was skipped as locked): one statement.
      const { rows } = await tx.query<{ id: string; key: string; envelope: Envelope; blocked: boolean }>(
        `WITH claimed AS (
           SELECT id, key, envelope FROM trellis_outbox WHERE sent_at IS NULL
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         ), firsts AS (
           SELECT key, min(id) AS first_id FROM claimed GROUP BY key
         ), blocked AS (
           SELECT DISTINCT f.key FROM firsts f
           JOIN trellis_outbox o ON o.key = f.key AND o.sent_at IS NULL AND o.id < f.first_id
         )
         SELECT c.id, c.key, c.envelope, c.key IN (SELECT key FROM blocked) AS blocked
         FROM claimed c ORDER BY c.id`,
        [this.options.batchSize],
      )
      if (rows.length === 0) return 0
      const ready = rows.filter((r) => !r.blocked)
      if (ready.length === 0) return 0
      const tracer = this.options.tracer
      const spans = tracer ? ready.map((r) => publishSpan(tracer, r.envelope)) : undefined
      try {
        await this.options.transport.publish(ready.map((r) => r.envelope))
      } catch (error) {
        for (const span of spans ?? []) span?.setStatus({ code: SpanStatusCode.ERROR }).end()
        throw error
      }
      for (const span of spans ?? []) span?.end()
      await tx.query(
        'UPDATE trellis_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1)',
        [ready.map((r) => r.id)],
      )
      this.stats.published += ready.length
      return rows.length
    })
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
