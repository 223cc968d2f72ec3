import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import type pg from 'pg'
import { type Database, tracedClient, untracedClient } from '../db/database.js'
import { isTrellisError } from '../errors/define-error.js'
import type { Logger } from '../log/logger.js'
import { contextFromTraceparent } from '../tracing/trace-context.js'
import { backoffDelay, sleep } from './backoff.js'
import { DeadLetterStore } from './dead-letters.js'
import { type Envelope, parseEnvelope } from './envelope.js'
import { GroupCommit, type Outcome } from './group-commit.js'
import { MessagingErrors } from './messaging-errors.js'
import { writeToOutbox } from './outbox.js'
import type { CompiledSubscription, EventContext } from './subscriptions.js'
import type { Delivery, Subscription, Transport } from './transport.js'

export interface EventConsumerOptions {
  /** The consumer group: the service's name. Its replicas compete; other services get their own copy. */
  group: string
  db: Database
  transport: Transport | undefined
  subscriptions: CompiledSubscription[]
  log: Logger
  /** Tries of a failing handler before the message becomes a dead letter. */
  maxAttempts: number
  /** Deliveries without an acknowledgement (consumers dying mid-handler) before it becomes one. */
  maxDeliveries: number
  retryBaseMs: number
  retryMaxMs: number
  prefetch: number
  /** How long `stop` waits for handlers in progress. */
  drainTimeoutMs: number
  /** Called once a message's handlers have committed (metrics, benchmarks). */
  onHandled?: (envelope: Envelope) => void
  /** Ready messages handled in one transaction at most. */
  batchSize?: number
  /** A CONSUMER span per handled message, in the publisher's trace (the envelope's `traceparent`). */
  tracer?: Tracer | undefined
}

const DEFAULTS = {
  // A commit's flush is the consumer's main cost; 32 messages share one at most.
  batchSize: 32,
  // Two transactions in flight: one commits while the next fills; more would only wait on the same flush.
  concurrency: 2,
}

export interface ConsumerStats {
  handled: number
  duplicates: number
  retries: number
  deadLettered: number
}

export interface ReplayResult {
  id: number
  messageId: string | null
  /** The inbox already had the message: replaying had no effect, and none was needed. */
  alreadyHandled: boolean
}

/**
 * The consuming side of a service: receives its group's messages from the
 * transport and runs the matching handlers, each message in one database
 * transaction together with its inbox record, so a redelivered message has
 * no second effect. Messages of one key run one after another, in arrival
 * order; different keys run concurrently (up to `prefetch`). A failing
 * handler is retried with backoff while the message is held; after
 * `maxAttempts` it becomes a dead letter (with its error) and is
 * acknowledged. Dead letters are replayed through the same path.
 */
export class EventConsumer {
  readonly stats: ConsumerStats = { handled: 0, duplicates: 0, retries: 0, deadLettered: 0 }
  readonly deadLetters: DeadLetterStore
  private subscription: Subscription | undefined
  private readonly keys = new Map<string, Promise<void>>()
  private readonly inFlight = new Set<Promise<void>>()
  private readonly abort = new AbortController()

  private readonly commits: GroupCommit<{ envelope: Envelope; attempt: number }>
  /** The subscriptions matching each event type seen, so patterns are matched once per type. */
  private readonly handlersByType = new Map<string, CompiledSubscription[]>()

  constructor(private readonly options: EventConsumerOptions) {
    this.deadLetters = new DeadLetterStore(options.db)
    this.commits = new GroupCommit(
      options.db,
      {
        // Envelope ids are lower-case UUIDs (the schema says so), as Postgres returns them.
        id: (item) => item.envelope.id,
        record: (items, literal) =>
          `INSERT INTO trellis_inbox (message_id, type, source) VALUES ${items
            .map(({ envelope: e }) => `(${literal(e.id)}, ${literal(e.type)}, ${literal(e.source)})`)
            .join(', ')} ON CONFLICT (message_id) DO NOTHING RETURNING message_id::text AS id`,
        run: (tx, item) => this.handleIn(tx, item),
      },
      {
        maxBatch: options.batchSize ?? DEFAULTS.batchSize,
        concurrency: DEFAULTS.concurrency,
      },
    )
  }

  get patterns(): string[] {
    return this.options.subscriptions.map((s) => s.pattern.text)
  }

  /** Resolves once the group's subscription exists on the transport (at once when there is nothing to subscribe). */
  ready(): Promise<void> {
    return this.subscription?.ready() ?? Promise.resolve()
  }

  async start(): Promise<void> {
    if (!this.options.transport || this.options.subscriptions.length === 0) return
    this.subscription = await this.options.transport.subscribe(
      { group: this.options.group, patterns: this.patterns, prefetch: this.options.prefetch },
      (delivery) => this.accept(delivery),
    )
  }

  /** Stops taking messages, lets handlers in progress finish (bounded); retries waiting are given back. */
  async stop(): Promise<void> {
    await this.subscription?.stop().catch(() => undefined)
    this.abort.abort()
    const drained = Promise.allSettled([...this.inFlight])
    await Promise.race([drained, sleep(this.options.drainTimeoutMs)])
  }

  private accept(delivery: Delivery): void {
    let envelope: Envelope
    try {
      envelope = parseEnvelope(delivery.body)
    } catch (error) {
      this.track(this.bury(delivery, undefined, (error as Error).message, delivery.deliveryCount))
      return
    }
    // One key at a time, in arrival order: chain behind the key's previous message.
    const previous = this.keys.get(envelope.key) ?? Promise.resolve()
    const next = previous.then(() => this.process(delivery, envelope))
    this.keys.set(envelope.key, next)
    void next.finally(() => {
      if (this.keys.get(envelope.key) === next) this.keys.delete(envelope.key)
    })
    this.track(next)
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.options.log.error({ err: error }, 'message handling failed'))
    this.inFlight.add(tracked)
    void tracked.finally(() => this.inFlight.delete(tracked))
  }

  private async process(delivery: Delivery, envelope: Envelope): Promise<void> {
    const { log, maxAttempts, maxDeliveries } = this.options
    if (delivery.deliveryCount > maxDeliveries) {
      const reason = Number.isFinite(delivery.deliveryCount)
        ? `delivered ${delivery.deliveryCount} times without being acknowledged (did its handler stop the process?)`
        : 'dead-lettered by the broker after too many deliveries'
      await this.bury(delivery, envelope, reason, delivery.deliveryCount)
      return
    }
    let lastError: unknown
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (this.abort.signal.aborted) {
        // Stopping: give it back for another consumer rather than hold it.
        await delivery.release(0).catch(() => undefined)
        return
      }
      try {
        await this.handle(envelope, attempt)
        await delivery.ack().catch((error) =>
          // Handled and committed; if the ack is lost the message comes back and the inbox drops it.
          log.warn(
            { err: error, messageId: envelope.id },
            'ack failed after handling; a redelivery will be dropped',
          ),
        )
        return
      } catch (error) {
        lastError = error
        if (attempt < maxAttempts) {
          this.stats.retries += 1
          const delay = backoffDelay(attempt, this.options.retryBaseMs, this.options.retryMaxMs)
          log.warn(
            {
              messageId: envelope.id,
              type: envelope.type,
              attempt,
              retryInMs: delay,
              reason: describe(error),
            },
            'event handler failed; retrying',
          )
          await sleep(delay, this.abort.signal)
        }
      }
    }
    await this.bury(delivery, envelope, describe(lastError), maxAttempts)
  }

  /** Runs the matching handlers with the inbox record in one transaction (shared with other ready messages); a known message id does nothing. */
  private async handle(envelope: Envelope, attempt: number): Promise<Outcome> {
    const outcome = await this.commits.submit({ envelope, attempt })
    if (outcome === 'duplicate') this.stats.duplicates += 1
    else {
      this.stats.handled += 1
      this.options.onHandled?.(envelope)
    }
    return outcome
  }

  /** One new message's handlers within a group-committed transaction (its inbox record is written). */
  private async handleIn(tx: pg.PoolClient, { envelope, attempt }: { envelope: Envelope; attempt: number }) {
    const handlers = this.handlersOf(envelope.type)
    const tracer = this.options.tracer
    if (!tracer) return this.runHandlers(tx, envelope, attempt, handlers)
    const parent = contextFromTraceparent(envelope.traceparent)
    const span = tracer.startSpan(
      `consume ${envelope.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.operation.type': 'process',
          'messaging.destination.name': envelope.type,
          'messaging.consumer.group.name': this.options.group,
          'messaging.message.id': envelope.id,
          'trellis.attempt': attempt,
        },
      },
      parent,
    )
    // The handlers' statements, calls, events and log lines belong to this span.
    tracedClient(tx, tracer)
    try {
      await context.with(trace.setSpan(parent, span), () => this.runHandlers(tx, envelope, attempt, handlers))
      span.end()
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) }).end()
      throw error
    } finally {
      untracedClient(tx)
    }
  }

  private handlersOf(type: string): CompiledSubscription[] {
    let handlers = this.handlersByType.get(type)
    if (!handlers) {
      handlers = this.options.subscriptions.filter((s) => s.pattern.matches(type))
      // Bounded: event types are few, but a broker could carry many; past a thousand, match each time.
      if (this.handlersByType.size < 1_000) this.handlersByType.set(type, handlers)
    }
    return handlers
  }

  private async runHandlers(
    tx: pg.PoolClient,
    envelope: Envelope,
    attempt: number,
    handlers: CompiledSubscription[],
  ): Promise<void> {
    const parent = this.options.log
    const group = this.options.group
    let log: Logger | undefined
    const context: EventContext = {
      tx,
      attempt,
      // Made when a handler first logs: most handle their message without a line.
      get log() {
        log ??= parent.child({ messageId: envelope.id, type: envelope.type })
        return log
      },
      publish: (draft) => writeToOutbox(tx, group, draft),
    }
    for (const { handler } of handlers) await handler(envelope, context)
  }

  /** Stores a dead letter and acknowledges; if even that fails (database down), gives the message back. */
  private async bury(
    delivery: Delivery,
    envelope: Envelope | undefined,
    error: string,
    attempts: number,
  ): Promise<void> {
    const body =
      typeof delivery.body === 'string' ? delivery.body : Buffer.from(delivery.body).toString('utf8')
    try {
      await this.deadLetters.add({
        messageId: envelope?.id,
        type: envelope?.type,
        body,
        error,
        attempts: Number.isFinite(attempts) ? attempts : 0,
      })
    } catch (storeError) {
      this.options.log.warn(
        { err: storeError },
        'cannot store a dead letter; the message goes back to the transport',
      )
      await delivery.release(this.options.retryMaxMs).catch(() => undefined)
      return
    }
    this.stats.deadLettered += 1
    this.options.log.error(
      { messageId: envelope?.id, type: envelope?.type, attempts, reason: error },
      'message moved to the dead letters',
    )
    await delivery.ack().catch(() => undefined)
  }

  /** Runs a dead letter's handlers once more, here and now; on success it is marked replayed. */
  async replay(id: number): Promise<ReplayResult> {
    const letter = await this.deadLetters.get(id)
    if (!letter) throw MessagingErrors.deadLetterNotFound(String(id))
    if (letter.replayedAt) return { id, messageId: letter.messageId, alreadyHandled: true }
    let envelope: Envelope
    try {
      envelope = parseEnvelope(letter.body)
    } catch (error) {
      throw MessagingErrors.replayFailed(String(id), (error as Error).message)
    }
    if (this.handlersOf(envelope.type).length === 0)
      throw MessagingErrors.noHandler(String(id), envelope.type)
    let outcome: Outcome
    try {
      outcome = await this.handle(envelope, letter.attempts + letter.replayCount + 1)
    } catch (error) {
      await this.deadLetters.recordFailedReplay(id, describe(error))
      throw MessagingErrors.replayFailed(String(id), describe(error))
    }
    await this.deadLetters.markReplayed(id)
    this.options.log.info({ deadLetter: id, messageId: envelope.id, outcome }, 'dead letter replayed')
    return { id, messageId: envelope.id, alreadyHandled: outcome === 'duplicate' }
  }
}

function describe(error: unknown): string {
  if (isTrellisError(error)) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
