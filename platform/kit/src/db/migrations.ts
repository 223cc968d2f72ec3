import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type pg from 'pg'
import { defineError } from '../errors/define-error.js'
import type { Logger } from '../log/logger.js'
import type { Database } from './database.js'

/**
 * Versioned SQL migrations in the Flyway style: `V<n>__<description>.sql`,
 * applied in order at start, each in its own transaction, recorded with a
 * checksum. An applied migration is immutable: editing it fails the start.
 * Seeds (`S<n>__<description>.sql`) follow the same rules in their own
 * namespace, but an edited seed only warns, since seed data is disposable.
 */
export interface Migration {
  version: number
  description: string
  file: string
  sql: string
  checksum: string
}

export const MigrationErrors = {
  badName: defineError(
    'TRELLIS_MIGRATION_BAD_NAME',
    500,
    'migration file %s is not named %s<n>__<description>.sql',
  ),
  duplicate: defineError(
    'TRELLIS_MIGRATION_DUPLICATE_VERSION',
    500,
    'migration version %s appears twice: %s',
  ),
  edited: defineError(
    'TRELLIS_MIGRATION_EDITED',
    500,
    '%s was edited after it was applied (recorded checksum %s, file now %s). Applied migrations are immutable: revert the edit and add a new migration instead',
  ),
  missing: defineError(
    'TRELLIS_MIGRATION_MISSING',
    500,
    'migration %s (%s) is recorded as applied but its file is gone; restore it',
  ),
  failed: defineError('TRELLIS_MIGRATION_FAILED', 500, '%s failed: %s'),
} as const

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex')
}

export async function loadMigrations(dir: string, prefix: 'V' | 'S' = 'V'): Promise<Migration[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const pattern = new RegExp(`^${prefix}(\\d+)__([A-Za-z0-9_-]+)\\.sql$`)
  const migrations: Migration[] = []
  for (const file of names.filter((n) => n.endsWith('.sql')).sort()) {
    const match = pattern.exec(file)
    if (!match) throw MigrationErrors.badName(file, prefix)
    const sql = await readFile(join(dir, file), 'utf8')
    migrations.push({
      version: Number(match[1]),
      description: match[2]!.replace(/_/g, ' '),
      file,
      sql,
      checksum: checksum(sql),
    })
  }
  migrations.sort((a, b) => a.version - b.version)
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw MigrationErrors.duplicate(
        migrations[i]!.version,
        `${migrations[i - 1]!.file}, ${migrations[i]!.file}`,
      )
    }
  }
  return migrations
}

export interface AppliedMigration {
  namespace: string
  version: number
  checksum: string
}

export type MigrationPlan =
  | { kind: 'apply'; migration: Migration }
  | { kind: 'edited'; migration: Migration; recorded: string }
  | { kind: 'missing'; version: number }

/** Pure: what to do with the files given what the history table records. */
export function planMigrations(files: Migration[], applied: AppliedMigration[]): MigrationPlan[] {
  const byVersion = new Map(applied.map((a) => [a.version, a]))
  const fileVersions = new Set(files.map((f) => f.version))
  const plan: MigrationPlan[] = []
  for (const a of applied)
    if (!fileVersions.has(a.version)) plan.push({ kind: 'missing', version: a.version })
  for (const migration of files) {
    const recorded = byVersion.get(migration.version)
    if (!recorded) plan.push({ kind: 'apply', migration })
    else if (recorded.checksum !== migration.checksum)
      plan.push({ kind: 'edited', migration, recorded: recorded.checksum })
  }
  return plan
}

const HISTORY = 'trellis_schema_history'
// One advisory lock key for all migrations of a database, so replicas that
// start together apply each migration exactly once.
const LOCK_KEY = 7_310_551

export interface MigrateOptions {
  namespace: string
  /** Seeds warn on an edit instead of failing. */
  strict?: boolean
  log?: Logger
}

export interface MigrateResult {
  applied: string[]
}

export async function migrate(
  db: Database,
  files: Migration[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  const client = await db.pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY])
    try {
      return await migrateLocked(client, files, options)
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY])
    }
  } finally {
    client.release()
  }
}

async function migrateLocked(client: pg.PoolClient, files: Migration[], options: MigrateOptions) {
  const strict = options.strict ?? true
  await client.query(`CREATE TABLE IF NOT EXISTS ${HISTORY} (
    namespace    text        NOT NULL,
    version      integer     NOT NULL,
    description  text        NOT NULL,
    file         text        NOT NULL,
    checksum     text        NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    execution_ms integer     NOT NULL,
    PRIMARY KEY (namespace, version)
  )`)
  const { rows } = await client.query<AppliedMigration>(
    `SELECT namespace, version, checksum FROM ${HISTORY} WHERE namespace = $1`,
    [options.namespace],
  )
  const applied: string[] = []
  for (const step of planMigrations(files, rows)) {
    if (step.kind === 'missing') {
      if (strict) throw MigrationErrors.missing(step.version, options.namespace)
      continue
    }
    if (step.kind === 'edited') {
      const error = MigrationErrors.edited(
        step.migration.file,
        step.recorded.slice(0, 12),
        step.migration.checksum.slice(0, 12),
      )
      if (strict) throw error
      options.log?.warn({ file: step.migration.file }, error.message)
      continue
    }
    const { migration } = step
    const started = performance.now()
    try {
      await client.query('BEGIN')
      await client.query(migration.sql)
      await client.query(
        `INSERT INTO ${HISTORY} (namespace, version, description, file, checksum, execution_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          options.namespace,
          migration.version,
          migration.description,
          migration.file,
          migration.checksum,
          Math.round(performance.now() - started),
        ],
      )
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw MigrationErrors.failed(migration.file, error instanceof Error ? error.message : String(error))
    }
    applied.push(migration.file)
    options.log?.info({ file: migration.file, namespace: options.namespace }, 'migration applied')
  }
  return { applied }
}
