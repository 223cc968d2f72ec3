import type pg from 'pg'
import type { Database } from '../db/database.js'

/** What a group-committed batch does, item by item, inside its one transaction. */
export interface GroupWork<T> {
  /** The item's identity in the record (a message id). */
  id(item: T): string
  /**
   * One statement that records every item of the batch (their inbox rows),
   * with values as literals (`literal` escapes them), returning a column
   * `id` for each item that was not recorded before.
   */
  record(items: T[], literal: (value: string) => string): string
  /** An item's own work. Throwing rolls the whole batch back: the item fails, the others go again. */
  run(tx: pg.PoolClient, item: T): Promise<void>
}

export interface GroupCommitOptions {
  /** Items handled in one transaction at most. */
  maxBatch: number
  /** Transactions in flight at once. */
  concurrency: number
}

export type Outcome = 'handled' | 'duplicate'

interface Waiting<T> {
  item: T
  resolve: (outcome: Outcome) => void
  reject: (error: unknown) => void
}

/**
 * Group commit for consumers: the messages that are ready (of different
 * keys; a key's messages are never submitted together) share one
 * transaction, so the commit's flush is paid once per batch instead of once
 * per message, and their inbox records are written in the same round trip as
 * the BEGIN. A batch is then one round trip, the handlers' own statements,
 * and the COMMIT.
 *
 * A handler that fails rolls the whole batch back: it alone is rejected (its
 * consumer retries it with backoff), and the others, whose work was undone
 * with it, go first into the next batch. Each failure removes one message,
 * so a batch always ends; a handler may thus run more than once before its
 * effects commit once, which is already true of at-least-once delivery.
 * At light load a batch holds one message, so latency is unchanged; under
 * load, messages that arrive while a transaction commits form the next one.
 */
export class GroupCommit<T> {
  private readonly queue: Array<Waiting<T>> = []
  private running = 0
  private scheduled = false

  constructor(
    private readonly db: Database,
    private readonly work: GroupWork<T>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: T): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      // Messages a transport delivers together (one claim, one read from the socket) reach here in
      // the same turn of the event loop: start the transaction after it, so they share one.
      if (this.scheduled) return
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        this.pump()
      })
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
    const tx = await this.db.pool.connect().catch((error: unknown) => error as Error)
    if (tx instanceof Error) {
      for (const waiting of batch) waiting.reject(tx)
      return
    }
    let fresh: Set<string>
    let failed: { index: number; error: unknown } | undefined
    try {
      const results = (await tx.query(
        `BEGIN; ${this.work.record(
          batch.map((w) => w.item),
          (value) => tx.escapeLiteral(value),
        )}`,
      )) as unknown as [pg.QueryResult, pg.QueryResult<{ id: string }>]
      fresh = new Set(results[1].rows.map((r) => r.id))
      for (const [index, waiting] of batch.entries()) {
        if (!fresh.has(this.work.id(waiting.item))) continue
        try {
          await this.work.run(tx, waiting.item)
        } catch (error) {
          failed = { index, error }
          break
        }
      }
      await tx.query(failed ? 'ROLLBACK' : 'COMMIT')
    } catch (error) {
      // The transaction failed as a whole (connection lost, commit refused): every message goes back.
      await tx.query('ROLLBACK').catch(() => undefined)
      tx.release()
      for (const waiting of batch) waiting.reject(error)
      return
    }
    tx.release()
    if (failed) {
      const { index, error } = failed
      batch[index]!.reject(error)
      this.queue.unshift(...batch.filter((_, i) => i !== index))
      return
    }
    for (const waiting of batch)
      waiting.resolve(fresh.has(this.work.id(waiting.item)) ? 'handled' : 'duplicate')
  }
}
