import { createHash } from 'node:crypto'
import type pg from 'pg'
import { KitErrors } from '../errors/kit-errors.js'
import type { Database } from './database.js'
import { checksum, type Migration } from './migrations.js'

/**
 * Writes that create things accept an `Idempotency-Key`. The key is recorded
 * in the same transaction as the write: a second request with the same key
 * waits on the first (the primary key serialises them), then replays its
 * stored response instead of writing again. A failed write records nothing,
 * so the client may retry with the same key.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key'
export const REPLAYED_HEADER = 'idempotent-replayed'

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/

const IDEMPOTENCY_SQL = `
CREATE TABLE IF NOT EXISTS trellis_idempotency (
  scope        text        NOT NULL,
  key          text        NOT NULL,
  request_hash text        NOT NULL,
  status       integer,
  body         jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS trellis_idempotency_created_at ON trellis_idempotency (created_at);
`

/** The kit's own tables, applied before a service's migrations in the `kit` namespace. */
export const KIT_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'idempotency keys',
    file: 'kit/V1__idempotency.sql',
    sql: IDEMPOTENCY_SQL,
    checksum: checksum(IDEMPOTENCY_SQL),
  },
]

export interface IdempotentResult<T> {
  status: number
  body: T
  replayed: boolean
}

export interface IdempotencyRequest {
  /** What the key is scoped to, usually `METHOD route-url`. */
  scope: string
  /** The client's key, or undefined when the client sent none. */
  key: string | undefined
  /** Anything that identifies the request's content; hashed. */
  fingerprint: unknown
}

export function validIdempotencyKey(key: string | undefined): key is string {
  return key !== undefined && KEY_PATTERN.test(key)
}

export async function idempotent<T>(
  db: Database,
  request: IdempotencyRequest,
  work: (tx: pg.PoolClient) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  if (request.key === undefined) {
    return db.tx(async (tx) => ({ ...(await work(tx)), replayed: false }))
  }
  if (!validIdempotencyKey(request.key)) throw KitErrors.idempotencyKeyInvalid()
  const key = request.key
  const hash = createHash('sha256')
    .update(JSON.stringify(request.fingerprint ?? null))
    .digest('hex')
  return db.tx(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO trellis_idempotency (scope, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [request.scope, key, hash],
    )
    if (inserted.rowCount === 0) {
      const { rows } = await tx.query<{ request_hash: string; status: number; body: T }>(
        'SELECT request_hash, status, body FROM trellis_idempotency WHERE scope = $1 AND key = $2',
        [request.scope, key],
      )
      const previous = rows[0]!
      if (previous.request_hash !== hash) throw KitErrors.idempotencyKeyReused(key)
      return { status: previous.status, body: previous.body, replayed: true }
    }
    const result = await work(tx)
    await tx.query('UPDATE trellis_idempotency SET status = $3, body = $4 WHERE scope = $1 AND key = $2', [
      request.scope,
      key,
      result.status,
      JSON.stringify(result.body),
    ])
    return { ...result, replayed: false }
  })
}

/** Forgets keys older than the retention; clients retry within minutes, not days. */
export async function purgeIdempotencyKeys(db: Database, retentionHours = 24): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM trellis_idempotency WHERE created_at < now() - make_interval(hours => $1)`,
    [retentionHours],
  )
  return rowCount ?? 0
}
