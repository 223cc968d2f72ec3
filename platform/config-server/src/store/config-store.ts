import type { Database, Queryable } from '@trellis/kit'
import type { PublishedSetting } from '@trellis/kit/platform'
import type { SecretBox } from '../crypto/secret-box.js'
import type { Property } from '../domain/effective.js'
import { GLOBAL, placeOf, type Scope } from '../domain/layers.js'
import type { CheckedChange, PublishedSettings } from '../domain/validator.js'

export interface Revision {
  version: number
  author: string
  message: string
  createdAt: string
  rollbackTo?: number
  changes: StoredChange[]
}

export interface StoredChange extends Scope {
  key: string
  secret: boolean
  removed: boolean
  /** The new value, opened when secret; absent for removals. */
  value?: unknown
}

interface ChangeRow {
  version: string
  application: string
  profile: string
  instance: string
  key: string
  secret: boolean
  removed: boolean
  value: unknown
  sealed: string | null
}

// Writes take this lock first, so versions are handed out in commit order:
// a watcher that saw version n can never miss a change numbered below n.
const WRITE_LOCK = 0x7472_6c73

/** Revisions, property changes and published schemas in the config server's own database. */
export class ConfigStore {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  async publish(
    application: string,
    appVersion: string,
    instance: string,
    settings: Record<string, PublishedSetting>,
  ) {
    await this.db.query(
      `INSERT INTO config_schema (application, app_version, instance, settings) VALUES ($1, $2, $3, $4)
       ON CONFLICT (application) DO UPDATE SET app_version = $2, instance = $3, settings = $4, published_at = now()`,
      [application, appVersion, instance, JSON.stringify(settings)],
    )
  }

  async published(): Promise<Map<string, PublishedSettings>> {
    const { rows } = await this.db.query<{
      application: string
      app_version: string
      settings: Record<string, PublishedSetting>
      published_at: Date
    }>('SELECT application, app_version, settings, published_at FROM config_schema ORDER BY application')
    return new Map(
      rows.map((r) => [
        r.application,
        {
          application: r.application,
          appVersion: r.app_version,
          settings: r.settings,
          publishedAt: r.published_at.toISOString(),
        },
      ]),
    )
  }

  /** The newest version of all; 0 before the first change. */
  async latest(q: Queryable = this.db): Promise<number> {
    const { rows } = await q.query<{ v: string | null }>('SELECT max(version) AS v FROM config_revision')
    return Number(rows[0]?.v ?? 0)
  }

  /** The newest change among these scopes, at or before `asOf`; 0 when none. */
  async versionOf(scopes: Scope[], asOf?: number): Promise<number> {
    const { rows } = await this.db.query<{ v: string | null }>(
      `SELECT max(version) AS v FROM config_change
       WHERE (application, profile, instance) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
         AND ($4::bigint IS NULL OR version <= $4)`,
      [...columns(scopes), asOf ?? null],
    )
    return Number(rows[0]?.v ?? 0)
  }

  /** The properties set in these scopes as of a version (the newest when absent). */
  async properties(scopes: Scope[], asOf?: number): Promise<Property[]> {
    const { rows } = await this.db.query<ChangeRow>(
      `SELECT * FROM (
         SELECT DISTINCT ON (application, profile, instance, key) *
         FROM config_change
         WHERE (application, profile, instance) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
           AND ($4::bigint IS NULL OR version <= $4)
         ORDER BY application, profile, instance, key, version DESC
       ) newest WHERE NOT removed`,
      [...columns(scopes), asOf ?? null],
    )
    return rows.map((r) => this.toProperty(r))
  }

  /** Every property of one application (all its profiles and instances, or one profile's), as of a version. */
  async propertiesOf(application: string, profile: string | undefined, asOf?: number): Promise<Property[]> {
    const { rows } = await this.db.query<ChangeRow>(
      `SELECT * FROM (
         SELECT DISTINCT ON (application, profile, instance, key) *
         FROM config_change
         WHERE application = $1 AND ($2::text IS NULL OR profile = $2) AND ($3::bigint IS NULL OR version <= $3)
         ORDER BY application, profile, instance, key, version DESC
       ) newest WHERE NOT removed`,
      [application, profile ?? null, asOf ?? null],
    )
    return rows.map((r) => this.toProperty(r))
  }

  /** Stores one revision with its changes; returns it. Run inside the caller's transaction. */
  async write(
    tx: Queryable,
    meta: { author: string; message: string; rollbackTo?: number },
    changes: CheckedChange[],
  ): Promise<Revision> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
    const { rows } = await tx.query<{ version: string; created_at: Date }>(
      'INSERT INTO config_revision (author, message, rollback_to) VALUES ($1, $2, $3) RETURNING version, created_at',
      [meta.author, meta.message, meta.rollbackTo ?? null],
    )
    const version = Number(rows[0]!.version)
    for (const c of changes) {
      const sealed = !c.remove && c.secret ? this.box.seal(c.value, placeOf(c, c.key)) : null
      const value = !c.remove && !c.secret ? JSON.stringify(c.value) : null
      await tx.query(
        `INSERT INTO config_change (version, application, profile, instance, key, secret, removed, value, sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [version, c.application, c.profile, c.instance, c.key, c.secret, c.remove, value, sealed],
      )
    }
    return {
      version,
      author: meta.author,
      message: meta.message,
      createdAt: rows[0]!.created_at.toISOString(),
      ...(meta.rollbackTo === undefined ? {} : { rollbackTo: meta.rollbackTo }),
      changes: changes.map((c) => ({
        application: c.application,
        profile: c.profile,
        instance: c.instance,
        key: c.key,
        secret: c.secret,
        removed: c.remove,
        ...(c.remove ? {} : { value: c.value }),
      })),
    }
  }

  /** Revisions, newest first; with `application`, those that touch it (or every application). */
  async revisions(filter: { application?: string; before?: number; limit: number }): Promise<Revision[]> {
    const { rows } = await this.db.query<{
      version: string
      author: string
      message: string
      created_at: Date
      rollback_to: string | null
    }>(
      `SELECT r.* FROM config_revision r
       WHERE ($1::text IS NULL OR EXISTS (
               SELECT 1 FROM config_change c WHERE c.version = r.version AND c.application IN ($1, '${GLOBAL}')))
         AND ($2::bigint IS NULL OR r.version < $2)
       ORDER BY r.version DESC LIMIT $3`,
      [filter.application ?? null, filter.before ?? null, filter.limit],
    )
    if (rows.length === 0) return []
    const changes = await this.db.query<ChangeRow>(
      'SELECT * FROM config_change WHERE version = ANY($1::bigint[]) ORDER BY application, profile, instance, key',
      [rows.map((r) => r.version)],
    )
    return rows.map((r) => ({
      version: Number(r.version),
      author: r.author,
      message: r.message,
      createdAt: r.created_at.toISOString(),
      ...(r.rollback_to === null ? {} : { rollbackTo: Number(r.rollback_to) }),
      changes: changes.rows.filter((c) => c.version === r.version).map((c) => this.toChange(c)),
    }))
  }

  async revision(version: number): Promise<Revision | undefined> {
    const [found] = await this.revisions({ before: version + 1, limit: 1 })
    return found?.version === version ? found : undefined
  }

  /**
   * Opens one stored secret, if any: a key that cannot open what is stored
   * must stop the start, not surface as failures later.
   */
  async checkKey(): Promise<void> {
    const { rows } = await this.db.query<ChangeRow>(
      'SELECT * FROM config_change WHERE sealed IS NOT NULL LIMIT 1',
    )
    if (rows[0]) this.toProperty(rows[0])
  }

  private toProperty(row: ChangeRow): Property {
    return {
      application: row.application,
      profile: row.profile,
      instance: row.instance,
      key: row.key,
      secret: row.secret,
      value: this.open(row),
      version: Number(row.version),
    }
  }

  private toChange(row: ChangeRow): StoredChange {
    return {
      application: row.application,
      profile: row.profile,
      instance: row.instance,
      key: row.key,
      secret: row.secret,
      removed: row.removed,
      ...(row.removed ? {} : { value: this.open(row) }),
    }
  }

  private open(row: ChangeRow): unknown {
    if (row.removed) return undefined
    return row.secret ? this.box.open(row.sealed!, placeOf(row, row.key)) : row.value
  }
}

function columns(scopes: Scope[]): [string[], string[], string[]] {
  return [scopes.map((s) => s.application), scopes.map((s) => s.profile), scopes.map((s) => s.instance)]
}
