import type { Queryable, Role } from '@trellis/kit'
import { v7 as uuidv7 } from 'uuid'
import { IdentityErrors } from '../errors.js'

export interface User {
  id: string
  email: string
  name: string
  roles: Role[]
  merchantId: string | null
  disabled: boolean
  createdAt: string
}

export interface UserRow {
  id: string
  email: string
  name: string
  password_hash: string
  roles: Role[]
  merchant_id: string | null
  disabled: boolean
  failed_logins: number
  last_failed_at: Date | null
  created_at: Date
}

const COLUMNS =
  'id, email, name, password_hash, roles, merchant_id, disabled, failed_logins, last_failed_at, created_at'

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    merchantId: row.merchant_id,
    disabled: row.disabled,
    createdAt: row.created_at.toISOString(),
  }
}

export class UserStore {
  constructor(private readonly db: Queryable) {}

  async create(user: {
    email: string
    name: string
    passwordHash: string
    roles: Role[]
    merchantId?: string | undefined
  }): Promise<User> {
    try {
      const { rows } = await this.db.query<UserRow>(
        `INSERT INTO users (id, email, name, password_hash, roles, merchant_id) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING ${COLUMNS}`,
        [uuidv7(), user.email, user.name, user.passwordHash, user.roles, user.merchantId ?? null],
      )
      return toUser(rows[0]!)
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw IdentityErrors.emailTaken(user.email)
      throw error
    }
  }

  async byEmail(email: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE email = $1`, [email])
    return rows[0]
  }

  async byId(id: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id])
    return rows[0]
  }

  async list(limit: number): Promise<User[]> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users ORDER BY created_at, id LIMIT $1`,
      [limit],
    )
    return rows.map(toUser)
  }

  async recordFailedLogin(id: string): Promise<void> {
    await this.db.query(
      `UPDATE users SET failed_logins = CASE WHEN last_failed_at > now() - interval '15 minutes' THEN failed_logins + 1 ELSE 1 END,
       last_failed_at = now() WHERE id = $1`,
      [id],
    )
  }

  async resetFailedLogins(id: string): Promise<void> {
    await this.db.query(
      'UPDATE users SET failed_logins = 0, last_failed_at = NULL WHERE id = $1 AND failed_logins > 0',
      [id],
    )
  }
}
