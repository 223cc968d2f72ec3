import type pg from 'pg'
import type { Database } from '../db/database.js'

/**
 * Handles one message inside an open transaction: it must first set the
 * savepoint `SAVEPOINT` (in its first round trip); 'duplicate' when the
 * inbox already knew the message.
 */
export type HandleIn<T> = (tx: pg.PoolClient, item: T) => Promise<'handled' | 'duplicate'>

export interface GroupCommitOptions {
  /** Messages handled in one transaction at most. */
  maxBatch: number
  /** Transactions in flight at once. */
  concurrency: number
}

interface Waiting<T> {
  item: T
  resolve: (outcome: 'handled' | 'duplicate') => void
  reject: (error: unknown) => void
}

/** The savepoint each message runs under (same name each time: ROLLBACK TO goes to the latest). */
export const SAVEPOINT = 'trellis_event'

/**
 * Group commit for consumers: the messages that are ready (of different
 * keys; a key's messages are never submitted together) share one
 * transaction, each under its own savepoint, so the commit's flush is paid
 * once per batch instead of once per message. A handler that fails rolls
 * back to its savepoint only: its neighbours commit, it alone is retried.
 * At light load a batch holds one message, so latency is unchanged; under
 * load, messages that arrive while a transaction commits form the next one.
 */
export class GroupCommit<T> {
  private readonly queue: Array<Waiting<T>> = []
  private running = 0

  constructor(
    private readonly db: Database,
    private readonly handleIn: HandleIn<T>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: T): Promise<'handled' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      this.pump()
    })
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running < this.options.concurrency) {
      const batch = this.queue.splice(0, this.options.maxBatch)
      this.running += 1
      void this.flush(batch).finally(() => {
        this.running -= 1
        this.pump()
      })
    }
  }

  private async flush(batch: Array<Waiting<T>>): Promise<void> {
    const outcomes: Array<{ ok: true; value: 'handled' | 'duplicate' } | { ok: false; error: unknown }> = []
    const tx = await this.db.pool.connect().catch((error: unknown) => error as Error)
    if (tx instanceof Error) {
      for (const waiting of batch) waiting.reject(tx)
      return
    }
    try {
      await tx.query('BEGIN')
      for (const waiting of batch) {
        try {
          outcomes.push({ ok: true, value: await this.handleIn(tx, waiting.item) })
        } catch (error) {
          await tx.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`)
          outcomes.push({ ok: false, error })
        }
      }
      await tx.query('COMMIT')
    } catch (error) {
      // The transaction failed as a whole (connection lost, commit refused): every message goes back.
      await tx.query('ROLLBACK').catch(() => undefined)
      tx.release()
      for (const waiting of batch) waiting.reject(error)
      return
    }
    tx.release()
    batch.forEach((waiting, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) waiting.resolve(outcome.value)
      else waiting.reject(outcome.error)
    })
  }
}
