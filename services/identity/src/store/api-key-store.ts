import type { Queryable, Role } from '@trellis/kit'

export interface ApiKey {
  id: string
  userId: string
  name: string
  scopes: string[]
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

interface ApiKeyRow {
  id: string
  user_id: string
  name: string
  secret_hash: string
  scopes: string[]
  created_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
}

const COLUMNS = 'id, user_id, name, secret_hash, scopes, created_at, last_used_at, revoked_at'

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  }
}

export class ApiKeyStore {
  constructor(private readonly db: Queryable) {}

  async insert(key: {
    id: string
    userId: string
    name: string
    hash: string
    scopes: string[]
  }): Promise<ApiKey> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, user_id, name, secret_hash, scopes) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [key.id, key.userId, key.name, key.hash, key.scopes],
    )
    return toApiKey(rows[0]!)
  }

  /** Keys of one owner, or of everyone when `owner` is null (an admin). */
  async list(owner: string | null): Promise<ApiKey[]> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `SELECT ${COLUMNS} FROM api_keys WHERE ($1::uuid IS NULL OR user_id = $1) ORDER BY created_at DESC LIMIT 500`,
      [owner],
    )
    return rows.map(toApiKey)
  }

  /** Revokes a key of `owner` (any owner when null); false when there is no such key. */
  async revoke(id: string, owner: string | null): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)`,
      [id, owner],
    )
    return (rowCount ?? 0) > 0
  }

  /** A live key with its owner's current roles, or undefined. */
  async live(
    id: string,
  ): Promise<
    { hash: string; scopes: string[]; userId: string; roles: Role[]; merchantId: string | null } | undefined
  > {
    const { rows } = await this.db.query<{
      secret_hash: string
      scopes: string[]
      user_id: string
      roles: Role[]
      merchant_id: string | null
    }>(
      `SELECT k.secret_hash, k.scopes, k.user_id, u.roles, u.merchant_id
       FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.id = $1 AND k.revoked_at IS NULL AND NOT u.disabled`,
      [id],
    )
    const row = rows[0]
    return (
      row && {
        hash: row.secret_hash,
        scopes: row.scopes,
        userId: row.user_id,
        roles: row.roles,
        merchantId: row.merchant_id,
      }
    )
  }

  async touch(id: string): Promise<void> {
    // At most once a minute per key: a busy integration must not turn every verification into a write.
    await this.db.query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    )
  }
}
