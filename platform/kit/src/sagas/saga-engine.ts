import type pg from 'pg'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { v7 as uuidv7 } from 'uuid'
import type { Database, Queryable } from '../db/database.js'
import type { Logger } from '../log/logger.js'
import { sleep } from '../messaging/backoff.js'
import type { Envelope } from '../messaging/envelope.js'
import { writeToOutbox } from '../messaging/outbox.js'
import type { EventHandler } from '../messaging/subscriptions.js'
import {
  commandType,
  type SagaCommand,
  type SagaDefinition,
  type SagaHookContext,
  type SagaInstance,
  type SagaReply,
} from './saga-definition.js'
import { SagaErrors } from './saga-errors.js'
import { decide, type SagaDecision, type SagaInput } from './saga-machine.js'

export interface SagaHistoryRecord {
  step: string
  kind: string
  event: string
  detail: unknown
  at: string
}

export interface SagaEngineOptions {
  service: string
  db: Database
  sagas: SagaDefinition<never>[]
  log: Logger
  metrics?: Registry
  /** How often late replies are looked for. */
  pollMs: number
  /**
   * At start, deadlines that have passed (or are about to) move this far
   * out: replies that arrived while the instance was down wait in the
   * transport, and must be consumed before their step is called late.
   */
  resumeGraceMs?: number
}

const DEFAULTS = {
  // Late replies handled per transaction of the timeout poll.
  pollBatch: 50,
}

interface Row {
  id: string
  saga: string
  status: SagaInstance['status']
  step: number
  command_id: string | null
  attempt: number
  data: unknown
  results: Record<string, unknown>
  failure: SagaInstance['failure']
  deadline_at: Date | null
  started_at: Date
  updated_at: Date
  finished_at: Date | null
}

function toInstance(row: Row): SagaInstance {
  return {
    id: row.id,
    saga: row.saga,
    status: row.status,
    step: row.step,
    commandId: row.command_id,
    attempt: row.attempt,
    data: row.data,
    results: row.results,
    failure: row.failure,
    deadlineAt: row.deadline_at,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  }
}

/**
 * The orchestrator: runs a service's sagas. A saga's state lives in the
 * service's database (`trellis_saga_instances`, `trellis_saga_history`);
 * each change happens in one transaction with the command it sends (through
 * the outbox) and the reply it consumes (through the inbox), so a process
 * killed at any point resumes where the database says: the relay sends what
 * was committed, the consumer redelivers what was not acknowledged, and the
 * timeout poll finds what is late.
 */
export class SagaEngine {
  private readonly byName = new Map<string, SagaDefinition<never>>()
  private readonly outcomes: Counter<'saga' | 'outcome'> | undefined
  private readonly durations: Histogram<'saga' | 'outcome'> | undefined
  private readonly timeouts: Counter<'saga' | 'step'> | undefined
  private readonly abort = new AbortController()
  private polling: Promise<void> | undefined

  constructor(private readonly options: SagaEngineOptions) {
    for (const saga of options.sagas) {
      if (this.byName.has(saga.name)) throw new Error(`saga ${saga.name} is declared twice`)
      this.byName.set(saga.name, saga)
    }
    const registers = options.metrics ? [options.metrics] : []
    if (registers.length) {
      this.outcomes = new Counter({
        name: 'trellis_saga_outcomes_total',
        help: 'Sagas that ended, by outcome: completed, or compensated after refused, timeout or cancelled',
        labelNames: ['saga', 'outcome'],
        registers,
      })
      this.durations = new Histogram({
        name: 'trellis_saga_duration_seconds',
        help: 'From start to end of a saga, by outcome',
        labelNames: ['saga', 'outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
        registers,
      })
      this.timeouts = new Counter({
        name: 'trellis_saga_step_timeouts_total',
        help: 'Awaited replies that did not come in time, by step',
        labelNames: ['saga', 'step'],
        registers,
      })
      const db = options.db
      new Gauge({
        name: 'trellis_saga_active',
        help: 'Sagas not yet ended, by status',
        labelNames: ['saga', 'status'],
        registers,
        async collect() {
          this.reset()
          const { rows } = await db
            .query<{ saga: string; status: string; n: string }>(
              `SELECT saga, status, count(*) AS n FROM trellis_saga_instances
               WHERE status IN ('running', 'compensating') GROUP BY saga, status`,
            )
            .catch(() => ({ rows: [] as Array<{ saga: string; status: string; n: string }> }))
          for (const row of rows) this.set({ saga: row.saga, status: row.status }, Number(row.n))
        },
      })
    }
  }

  get database(): Database {
    return this.options.db
  }

  /** The step names of a saga, in order. */
  stepNames(saga: string): string[] {
    return this.byName.get(saga)?.steps.map((s) => s.name) ?? []
  }

  get sagas(): string[] {
    return [...this.byName.keys()]
  }

  private definition(name: string): SagaDefinition<never> {
    const saga = this.byName.get(name)
    if (!saga) throw SagaErrors.unknownSaga(name)
    return saga
  }

  /**
   * Starts a saga in `tx` (the transaction that creates what it is about):
   * its first command is sent if and only if `tx` commits. Starting an id
   * that exists returns the existing instance and sends nothing.
   */
  async start<D>(tx: Queryable, sagaName: string, id: string, data: D): Promise<SagaInstance<D>> {
    const saga = this.definition(sagaName)
    const { rows } = await tx.query<Row>(
      `INSERT INTO trellis_saga_instances (id, saga, status, step, data) VALUES ($1, $2, 'running', 0, $3)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [id, sagaName, JSON.stringify(data)],
    )
    if (!rows[0]) return (await this.read(tx, id)) as SagaInstance<D>
    const instance = toInstance(rows[0])
    return (await this.apply(
      tx,
      saga,
      instance,
      decide(saga, instance, { kind: 'start' }),
    )) as SagaInstance<D>
  }

  /**
   * Asks a saga to stop: a running one compensates what it did (and what is
   * in flight), a completed one only if its definition allows it. Returns
   * the instance as it is after the request, or throws when refused.
   */
  async cancel(tx: Queryable, id: string, reason: string): Promise<SagaInstance> {
    const instance = await this.read(tx, id, true)
    if (!instance) throw SagaErrors.notFound(id)
    const saga = this.definition(instance.saga)
    if (instance.status === 'completed' && !saga.cancellableAfterCompletion?.(instance as never))
      throw SagaErrors.notCancellable(id, 'it has completed')
    const decision = decide(saga, instance, { kind: 'cancel', reason })
    if (decision.ignored) throw SagaErrors.notCancellable(id, decision.ignored)
    return this.apply(tx, saga, instance, decision)
  }

  /** The handler of `saga.reply.<service>`: moves the saga on, in the consumer's transaction. */
  readonly onReply: EventHandler<SagaReply> = async (event: Envelope<SagaReply>, { tx, log }) => {
    const reply = event.data
    const instance = await this.read(tx, reply.sagaId, true)
    if (!instance) {
      log.warn({ sagaId: reply.sagaId }, 'reply for an unknown saga; dropped')
      return
    }
    const saga = this.definition(instance.saga)
    await this.step(tx, saga, instance, { kind: 'reply', reply }, log)
  }

  private async step(
    tx: Queryable,
    saga: SagaDefinition<never>,
    instance: SagaInstance,
    input: SagaInput,
    log: Logger,
  ): Promise<void> {
    const decision = decide(saga, instance, input)
    if (decision.ignored) {
      log.debug({ sagaId: instance.id, input: input.kind, reason: decision.ignored }, 'saga input ignored')
      return
    }
    await this.apply(tx, saga, instance, decision)
  }

  /** Applies a decision: the instance row, its history, the command to send, the end hooks. */
  private async apply(
    tx: Queryable,
    saga: SagaDefinition<never>,
    instance: SagaInstance,
    decision: SagaDecision,
  ): Promise<SagaInstance> {
    let commandId: string | null = decision.finished ? null : instance.commandId
    if (decision.send) {
      commandId = uuidv7()
      const step = saga.steps[decision.send.step]!
      const command: SagaCommand = {
        sagaId: instance.id,
        saga: saga.name,
        step: step.name,
        kind: decision.send.kind,
        commandId,
        replyTo: this.options.service,
        attempt: decision.attempt,
        payload: step.payload(instance.data as never, decision.results),
      }
      const name = decision.send.kind === 'action' ? step.action : step.compensation!
      await writeToOutbox(tx, this.options.service, {
        type: commandType(step.participant, name),
        key: instance.id,
        data: command,
      })
    }
    const { rows } = await tx.query<Row>(
      `UPDATE trellis_saga_instances SET status = $2, step = $3, attempt = $4, failure = $5, results = $6,
         command_id = $7, deadline_at = CASE WHEN $8::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $8::integer / 1000.0) END,
         updated_at = now(), finished_at = CASE WHEN $9 THEN now() ELSE finished_at END
       WHERE id = $1 RETURNING *`,
      [
        instance.id,
        decision.status,
        decision.step,
        decision.attempt,
        decision.failure === null ? null : JSON.stringify(decision.failure),
        JSON.stringify(decision.results),
        commandId,
        decision.deadlineMs,
        decision.finished !== undefined,
      ],
    )
    if (decision.history.length)
      await tx.query(
        `INSERT INTO trellis_saga_history (saga_id, step, kind, event, detail)
         SELECT $1, s, k, e, d FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[]) AS h(s, k, e, d)`,
        [
          instance.id,
          decision.history.map((h) => h.step),
          decision.history.map((h) => h.kind),
          decision.history.map((h) => h.event),
          decision.history.map((h) => (h.detail === undefined ? null : JSON.stringify(h.detail))),
        ],
      )
    const next = toInstance(rows[0]!)
    const hooks: SagaHookContext = {
      tx,
      publish: (draft) => writeToOutbox(tx, this.options.service, draft),
    }
    if (decision.history.some((h) => h.event === 'timed-out' && h.kind === 'action'))
      this.timeouts?.inc({ saga: saga.name, step: decision.failure?.step ?? '?' })
    if (decision.compensationStarted) await saga.onCompensating?.(next as never, hooks)
    if (decision.finished) {
      if (decision.finished === 'completed') await saga.onCompleted?.(next as never, hooks)
      else await saga.onCompensated?.(next as never, hooks)
      const outcome = decision.finished === 'completed' ? 'completed' : (next.failure?.kind ?? 'compensated')
      this.outcomes?.inc({ saga: saga.name, outcome })
      this.durations?.observe({ saga: saga.name, outcome }, (Date.now() - next.startedAt.getTime()) / 1000)
    }
    return next
  }

  async read(db: Queryable, id: string, forUpdate = false): Promise<SagaInstance | undefined> {
    const { rows } = await db.query<Row>(
      `SELECT * FROM trellis_saga_instances WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    )
    return rows[0] && toInstance(rows[0])
  }

  async history(id: string): Promise<SagaHistoryRecord[]> {
    const { rows } = await this.options.db.query<{
      step: string
      kind: string
      event: string
      detail: unknown
      at: Date
    }>('SELECT step, kind, event, detail, at FROM trellis_saga_history WHERE saga_id = $1 ORDER BY id', [id])
    return rows.map((r) => ({ ...r, at: r.at.toISOString() }))
  }

  async list(options: {
    status?: string
    saga?: string
    limit: number
    after?: string
  }): Promise<SagaInstance[]> {
    const { rows } = await this.options.db.query<Row>(
      `SELECT * FROM trellis_saga_instances
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR saga = $2) AND ($3::text IS NULL OR id > $3)
       ORDER BY id LIMIT $4`,
      [options.status ?? null, options.saga ?? null, options.after ?? null, options.limit],
    )
    return rows.map(toInstance)
  }

  async counts(): Promise<Record<string, number>> {
    const { rows } = await this.options.db.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM trellis_saga_instances GROUP BY status',
    )
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }

  /** Handles the instances whose awaited reply is late; returns how many. */
  async pollOnce(): Promise<number> {
    return this.options.db.tx(async (tx: pg.PoolClient) => {
      const { rows } = await tx.query<Row>(
        `SELECT * FROM trellis_saga_instances WHERE deadline_at <= now()
         ORDER BY deadline_at LIMIT ${DEFAULTS.pollBatch} FOR UPDATE SKIP LOCKED`,
      )
      for (const row of rows) {
        const instance = toInstance(row)
        const saga = this.byName.get(instance.saga)
        if (!saga) continue
        this.options.log.warn(
          { sagaId: instance.id, saga: instance.saga, status: instance.status, step: instance.step },
          'saga reply is late',
        )
        await this.step(tx, saga, instance, { kind: 'timeout' }, this.options.log)
      }
      return rows.length
    })
  }

  /** Starts the timeout poll (every instance of the service runs one; SKIP LOCKED shares the work). */
  startPolling(): void {
    const { signal } = this.abort
    this.polling ??= (async () => {
      const grace = this.options.resumeGraceMs ?? 0
      if (grace > 0) {
        const { rowCount } = await this.options.db
          .query(
            `UPDATE trellis_saga_instances SET deadline_at = now() + make_interval(secs => $1::integer / 1000.0)
             WHERE deadline_at < now() + make_interval(secs => $1::integer / 1000.0)`,
            [grace],
          )
          .catch(() => ({ rowCount: 0 }))
        if (rowCount)
          this.options.log.info(
            { sagas: rowCount, graceMs: grace },
            'deadlines due while this instance was away moved out, so that waiting replies are read first',
          )
      }
      while (!signal.aborted) {
        let found = 0
        try {
          found = await this.pollOnce()
        } catch (error) {
          this.options.log.warn({ err: error }, 'saga timeout poll failed; retrying')
        }
        if (found < DEFAULTS.pollBatch) await sleep(this.options.pollMs, signal)
      }
    })()
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.polling
  }
}
