import { Database } from '@trellis/kit'
import { createTestDatabase } from '@trellis/testing'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { GroupCommit } from '../../../src/messaging/group-commit.js'

let db: Database

beforeAll(async () => {
  db = new Database({ url: await createTestDatabase(inject('postgresUrl'), 'group_commit') })
  await db.query('CREATE TABLE seen (id integer PRIMARY KEY)')
  await db.query('CREATE TABLE effects (id integer PRIMARY KEY)')
})
afterAll(() => db?.close())

/** Records items in `seen`, writes one effect row per new item; items listed in `failing` throw after writing. */
function committer(failing: Set<number>, maxBatch = 32, effect = 'INSERT INTO effects (id) VALUES ($1)') {
  const batches: number[][] = []
  const runs: number[] = []
  const group = new GroupCommit<number>(
    db,
    {
      id: (item) => String(item),
      record: (items) => {
        batches.push(items)
        return `INSERT INTO seen (id) VALUES ${items.map((i) => `(${i})`).join(', ')}
                ON CONFLICT (id) DO NOTHING RETURNING id::text AS id`
      },
      run: async (tx: pg.PoolClient, id: number) => {
        runs.push(id)
        await tx.query(effect, [id])
        if (failing.has(id)) throw new Error(`handler ${id} failed`)
      },
    },
    { maxBatch, concurrency: 1 },
  )
  return { submit: (id: number) => group.submit(id), batches, runs }
}

const committed = async (from: number, to: number) =>
  (
    await db.query<{ id: number }>('SELECT id FROM effects WHERE id BETWEEN $1 AND $2 ORDER BY id', [
      from,
      to,
    ])
  ).rows.map((r) => r.id)

describe('group commit', () => {
  it('commits the messages of a batch together; a failing one is rejected alone and its neighbours go again', async () => {
    const { submit, batches, runs } = committer(new Set([103]))
    const results = await Promise.allSettled([101, 102, 103, 104, 105].map(submit))
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ])
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('handler 103 failed')
    // Submitted together while nothing was committing: they shared transactions.
    expect(batches.length).toBeLessThan(5)
    // 101 and 102 ran in the batch 103 rolled back, then again: their effects committed once.
    expect(runs.filter((id) => id === 101).length).toBeGreaterThanOrEqual(1)
    expect(await committed(101, 105)).toEqual([101, 102, 104, 105])
    // The failed one left no record either: retried, it has its effect once.
    const { submit: retry } = committer(new Set())
    expect(await retry(103)).toBe('handled')
    expect(await committed(103, 103)).toEqual([103])
  })

  it('answers duplicate for an item already recorded, without running it', async () => {
    const { submit, runs } = committer(new Set())
    expect(await submit(150)).toBe('handled')
    const again = await Promise.all([150, 151].map(submit))
    expect(again).toEqual(['duplicate', 'handled'])
    expect(runs.filter((id) => id === 150)).toEqual([150])
  })

  it('gives every message of a batch back when the transaction itself fails', async () => {
    // A deferred constraint is checked at COMMIT: the whole transaction fails there.
    await db.query(
      'CREATE TABLE deferred (id integer, CONSTRAINT once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)',
    )
    // 210 takes the only transaction; 211 and 212 queue meanwhile and share the next, where both write 7.
    const { submit, batches } = committer(
      new Set(),
      4,
      'INSERT INTO deferred (id) VALUES (CASE WHEN $1::int = 210 THEN 210 ELSE 7 END)',
    )
    const first = submit(210)
    // Submissions of one turn of the event loop share a batch: 211 and 212 come in the next turn.
    await new Promise((resolve) => setImmediate(resolve))
    const results = await Promise.allSettled([first, submit(211), submit(212)])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect(batches.at(-1)).toEqual([211, 212])
    expect((await db.query('SELECT id FROM seen WHERE id IN (210, 211, 212) ORDER BY id')).rows).toEqual([
      { id: 210 },
    ])
  })

  it('handles one message per transaction when asked to', async () => {
    const { submit, batches } = committer(new Set(), 1)
    await Promise.all([301, 302, 303].map(submit))
    expect(batches.every((batch) => batch.length === 1)).toBe(true)
  })
})
