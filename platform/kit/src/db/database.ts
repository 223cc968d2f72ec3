import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import pg from 'pg'
import type { Logger } from '../log/logger.js'

/** What stores need: a pool, a transaction's client, or the Database itself. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>
}
export type QueryResultRow = pg.QueryResultRow

export interface DatabaseOptions {
  url: string
  /** Connections this instance may hold; small, because every replica of every service shares one server. */
  maxConnections?: number
  /** A statement running longer than this is cancelled by the server. */
  statementTimeoutMs?: number
  applicationName?: string
  log?: Logger
}

const DEFAULTS = {
  maxConnections: 5,
  // Requests have deadlines of a few seconds; a query that outlives them only holds locks.
  statementTimeoutMs: 10_000,
  // Fail fast when the server is unreachable instead of queueing behind a dead socket.
  connectionTimeoutMs: 3_000,
  idleTimeoutMs: 30_000,
}

/** A service's own database: a pool, transactions, and a readiness probe. */
export class Database {
  readonly pool: pg.Pool
  /** The connection URL, for dedicated connections (LISTEN) beside the pool. */
  readonly url: string
  private readonly log: Logger | undefined
  private tracer: Tracer | undefined

  constructor(options: DatabaseOptions) {
    this.log = options.log
    this.url = options.url
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? DEFAULTS.maxConnections,
      connectionTimeoutMillis: DEFAULTS.connectionTimeoutMs,
      idleTimeoutMillis: DEFAULTS.idleTimeoutMs,
      application_name: options.applicationName,
      statement_timeout: options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    })
    // An idle connection that the server drops must not crash the process.
    this.pool.on('error', (error) => this.log?.warn({ err: error }, 'idle database connection failed'))
    // Nor one that is checked out between two statements (a transaction waiting on a broker, say): the
    // loss surfaces as its next statement's error, and the pool drops the connection when it comes back.
    this.pool.on('connect', (client) => client.on('error', () => undefined))
  }

  /**
   * Queries and transactions made while a span is active (a request's, a
   * message handler's) get spans of their own; background work outside any
   * trace (polling, purges) makes none.
   */
  traceWith(tracer: Tracer): void {
    this.tracer = tracer
  }

  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const span = this.tracer && querySpan(this.tracer, text)
    if (!span) return this.pool.query<R>(text, params)
    return endWith(span, this.pool.query<R>(text, params))
  }

  /** Runs `work` in one transaction; commits on return, rolls back on throw. */
  async tx<T>(
    work: (client: pg.PoolClient) => Promise<T>,
    isolation?: 'serializable' | 'repeatable read',
  ): Promise<T> {
    const tracer = this.tracer
    const span = tracer && querySpan(tracer, 'transaction', 'db.transaction')
    const client = await this.pool.connect()
    // Statements on the transaction's client get spans (under whatever span is active when they run).
    if (tracer) tracedClient(client, tracer)
    try {
      await client.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}` : 'BEGIN')
      const result = await (span
        ? context.with(trace.setSpan(context.active(), span), work, undefined, client)
        : work(client))
      await client.query('COMMIT')
      span?.end()
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message })
      span?.end()
      throw error
    } finally {
      if (tracer) untracedClient(client)
      client.release()
    }
  }

  /** True when a trivial query answers within the timeout. */
  async ping(timeoutMs = 1_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const probe = this.pool.query('SELECT 1').then(
      () => true,
      () => false,
    )
    try {
      return await Promise.race([probe, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}

/** A CLIENT span for one statement, child of the active span; none outside a trace. */
function querySpan(
  tracer: Tracer,
  text: string,
  name = 'db.query',
  parent = context.active(),
): Span | undefined {
  const active = trace.getSpan(parent)
  if (!active?.isRecording()) return undefined
  return tracer.startSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.query.text': text.length > 300 ? `${text.slice(0, 300)}…` : text,
      },
    },
    parent,
  )
}

function endWith<T>(span: Span, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      span.end()
      return value
    },
    (error: Error) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
      span.end()
      throw error
    },
  )
}

/** Shadows the client's `query` with one that makes a span per statement (removed at release). */
export function tracedClient(client: pg.PoolClient, tracer: Tracer): void {
  const original = Object.getPrototypeOf(client).query as pg.PoolClient['query']
  ;(client as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
    const call = () => (original as (...args: unknown[]) => unknown).call(client, text, ...rest)
    if (typeof text !== 'string' || typeof rest.at(-1) === 'function') return call()
    const span = querySpan(tracer, text)
    return span ? endWith(span, call() as Promise<unknown>) : call()
  }
}

/** Undoes `tracedClient` (before the client goes back to the pool). */
export function untracedClient(client: pg.PoolClient): void {
  delete (client as { query?: unknown }).query
}

/** Waits until the database answers, with capped exponential backoff, or gives up after `timeoutMs`. */
export async function waitForDatabase(db: Database, timeoutMs: number, log?: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let delay = 100
  let lastError: unknown
  for (;;) {
    try {
      await db.query('SELECT 1')
      return
    } catch (error) {
      lastError = error
    }
    if (Date.now() + delay > deadline) {
      throw new Error(`database unreachable after ${timeoutMs} ms: ${describe(lastError)}`)
    }
    log?.warn({ retryInMs: delay, reason: describe(lastError) }, 'waiting for the database')
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(delay * 2, 2_000)
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
