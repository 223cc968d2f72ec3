import { Database } from '@trellis/kit'
import { createTestDatabase } from '@trellis/testing'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { GroupCommit, SAVEPOINT } from '../../../src/messaging/group-commit.js'

let db: Database

beforeAll(async () => {
  db = new Database({ url: await createTestDatabase(inject('postgresUrl'), 'group_commit') })
  await db.query('CREATE TABLE effects (id integer PRIMARY KEY)')
})
afterAll(() => db?.close())

/** Writes one row per item under the savepoint; items listed in `failing` throw after writing. */
function committer(failing: Set<number>, maxBatch = 32) {
  const seenInBatch: number[][] = []
  let current: number[] = []
  const handle = async (tx: pg.PoolClient, id: number) => {
    if (current.length === 0) seenInBatch.push(current)
    current.push(id)
    await tx.query(`SAVEPOINT ${SAVEPOINT}; INSERT INTO effects (id) VALUES (${id})`)
    if (failing.has(id)) throw new Error(`handler ${id} failed`)
    return 'handled' as const
  }
  const group = new GroupCommit<number>(db, handle, { maxBatch, concurrency: 1 })
  return {
    submit: (id: number) => {
      const p = group.submit(id)
      void p
        .finally(() => {
          current = []
        })
        .catch(() => undefined)
      return p
    },
    seenInBatch,
  }
}

describe('group commit', () => {
  it('commits the messages of a batch together, and a failing one alone rolls back', async () => {
    const { submit, seenInBatch } = committer(new Set([103]))
    const results = await Promise.allSettled([101, 102, 103, 104, 105].map(submit))
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ])
    // Submitted together while nothing was committing: they shared transactions.
    expect(seenInBatch.length).toBeLessThan(5)
    const { rows } = await db.query<{ id: number }>(
      'SELECT id FROM effects WHERE id BETWEEN 101 AND 105 ORDER BY id',
    )
    expect(rows.map((r) => r.id)).toEqual([101, 102, 104, 105])
    // The failed one, retried on its own, has its effect once.
    await submit(103).catch(() => undefined)
    const { submit: retry } = committer(new Set())
    await retry(103)
    expect((await db.query('SELECT id FROM effects WHERE id = 103')).rowCount).toBe(1)
  })

  it('gives every message of a batch back when the transaction itself fails', async () => {
    const { submit } = committer(new Set())
    // 201 twice in one batch: the second insert violates the primary key inside its savepoint and only it fails.
    const dup = await Promise.allSettled([201, 201, 202].map(submit))
    expect(dup.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    // A deferred constraint is checked at COMMIT: the whole transaction fails there.
    await db.query(
      'CREATE TABLE deferred (id integer, CONSTRAINT once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)',
    )
    const broken = new GroupCommit<number>(
      db,
      async (tx, id) => {
        // 210 holds the only transaction a moment, so 211 and 212 queue up and share the next one.
        const clash = id === 210 ? 210 : 7
        const pause = id === 210 ? '; SELECT pg_sleep(0.05)' : ''
        await tx.query(
          `SAVEPOINT ${SAVEPOINT}; INSERT INTO deferred (id) VALUES (${clash}); INSERT INTO effects (id) VALUES (${id})${pause}`,
        )
        return 'handled'
      },
      { maxBatch: 4, concurrency: 1 },
    )
    const results = await Promise.allSettled([210, 211, 212].map((id) => broken.submit(id)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect((await db.query('SELECT id FROM effects WHERE id IN (210, 211, 212) ORDER BY id')).rows).toEqual([
      { id: 210 },
    ])
  })

  it('handles one message per transaction when asked to', async () => {
    const { submit, seenInBatch } = committer(new Set(), 1)
    await Promise.all([301, 302, 303].map(submit))
    expect(seenInBatch.every((batch) => batch.length === 1)).toBe(true)
  })
})
