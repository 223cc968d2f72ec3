import type { Queryable } from '@trellis/kit'

export interface RefreshTokenRow {
  id: string
  family_id: string
  user_id: string
  secret_hash: string
  replaced_by: string | null
  revoked_at: Date | null
  expires_at: Date
}

/** Refresh tokens by family: one family per sign-in, one live token per family. */
export class RefreshTokenStore {
  constructor(private readonly db: Queryable) {}

  async insert(row: {
    id: string
    familyId: string
    userId: string
    hash: string
    ttlS: number
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [row.id, row.familyId, row.userId, row.hash, row.ttlS],
    )
  }

  /** The row, locked for this transaction so that two uses of one token are serialised. */
  async lock(id: string): Promise<RefreshTokenRow | undefined> {
    const { rows } = await this.db.query<RefreshTokenRow>(
      'SELECT id, family_id, user_id, secret_hash, replaced_by, revoked_at, expires_at FROM refresh_tokens WHERE id = $1 FOR UPDATE',
      [id],
    )
    return rows[0]
  }

  async markReplaced(id: string, by: string): Promise<void> {
    await this.db.query('UPDATE refresh_tokens SET replaced_by = $2 WHERE id = $1', [id, by])
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
      [familyId],
    )
  }

  async revokeUser(userId: string): Promise<number> {
    const { rowCount } = await this.db.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    )
    return rowCount ?? 0
  }
}
