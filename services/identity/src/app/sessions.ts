import type { Database } from '@trellis/kit'
import { v7 as uuidv7 } from 'uuid'
import { DUMMY_HASH, verifyPassword } from '../domain/password.js'
import { newRefreshToken, parseRefreshToken, sameHash } from '../domain/secrets.js'
import { IdentityErrors } from '../errors.js'
import type { KeyRing } from '../keys/key-ring.js'
import { RefreshTokenStore } from '../store/refresh-token-store.js'
import { toUser, type User, type UserRow, UserStore } from '../store/user-store.js'

export interface Session {
  tokenType: 'Bearer'
  accessToken: string
  /** Seconds until the access token expires. */
  expiresIn: number
  refreshToken: string
  refreshExpiresIn: number
  user: User
}

const DEFAULTS = {
  // Failed sign-ins of one account within 15 minutes before it is throttled…
  maxFailedLogins: 5,
  // …for this long after the last failure: slows guessing to a crawl without locking the owner out for long.
  throttleS: 60,
}

/** Sign-in, refresh-token rotation with reuse detection, sign-out. */
export class Sessions {
  constructor(
    private readonly db: Database,
    private readonly keys: KeyRing,
    private readonly refreshTtlS: number,
  ) {}

  /** A new sign-in (a new refresh token family) for a user already authenticated. */
  async open(user: UserRow | User): Promise<Session> {
    const plain = 'password_hash' in user ? toUser(user) : user
    const refresh = newRefreshToken()
    await new RefreshTokenStore(this.db).insert({
      id: refresh.id,
      familyId: uuidv7(),
      userId: plain.id,
      hash: refresh.hash,
      ttlS: this.refreshTtlS,
    })
    return this.session(plain, refresh.token)
  }

  async login(email: string, password: string): Promise<Session> {
    const users = new UserStore(this.db)
    const user = await users.byEmail(email)
    if (user && user.failed_logins >= DEFAULTS.maxFailedLogins && user.last_failed_at) {
      const waitS = Math.ceil((user.last_failed_at.getTime() + DEFAULTS.throttleS * 1000 - Date.now()) / 1000)
      if (waitS > 0) throw IdentityErrors.loginThrottled(waitS).with({ retryAfter: waitS })
    }
    // An unknown email costs a hash too, so the answer's timing does not tell which accounts exist.
    const ok = await verifyPassword(user?.password_hash ?? DUMMY_HASH, password)
    if (!user || !ok || user.disabled) {
      if (user && !ok) await users.recordFailedLogin(user.id)
      throw IdentityErrors.loginFailed()
    }
    await users.resetFailedLogins(user.id)
    return this.open(user)
  }

  /**
   * Exchanges a refresh token for a new pair. Each token works once: a
   * replaced token presented again means two parties hold it (one of them
   * stole it), so its whole family is revoked and both must sign in again.
   */
  async refresh(token: string): Promise<Session> {
    const parsed = parseRefreshToken(token)
    if (!parsed) throw IdentityErrors.refreshInvalid()
    const outcome = await this.db.tx(async (tx) => {
      const store = new RefreshTokenStore(tx)
      const row = await store.lock(parsed.id)
      if (!row || !sameHash(row.secret_hash, parsed.secret) || row.revoked_at)
        return { kind: 'invalid' as const }
      if (row.replaced_by) {
        await store.revokeFamily(row.family_id)
        return { kind: 'reused' as const }
      }
      if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const }
      const user = await new UserStore(tx).byId(row.user_id)
      if (!user || user.disabled) {
        await store.revokeFamily(row.family_id)
        return { kind: 'invalid' as const }
      }
      const next = newRefreshToken()
      await store.insert({
        id: next.id,
        familyId: row.family_id,
        userId: user.id,
        hash: next.hash,
        ttlS: this.refreshTtlS,
      })
      await store.markReplaced(row.id, next.id)
      return { kind: 'ok' as const, user, token: next.token }
    })
    if (outcome.kind === 'reused') throw IdentityErrors.refreshReused()
    if (outcome.kind === 'invalid') throw IdentityErrors.refreshInvalid()
    return this.session(toUser(outcome.user), outcome.token)
  }

  /** Ends the sign-in the token belongs to; an unknown token is already as good as signed out. */
  async logout(token: string): Promise<void> {
    const parsed = parseRefreshToken(token)
    if (!parsed) return
    await this.db.tx(async (tx) => {
      const store = new RefreshTokenStore(tx)
      const row = await store.lock(parsed.id)
      if (row && sameHash(row.secret_hash, parsed.secret)) await store.revokeFamily(row.family_id)
    })
  }

  /** Ends every sign-in of a user (their refresh tokens; access tokens run out within their lifetime). */
  revokeAll(userId: string): Promise<number> {
    return new RefreshTokenStore(this.db).revokeUser(userId)
  }

  private async session(user: User, refreshToken: string): Promise<Session> {
    const access = await this.keys.signAccessToken(user)
    return {
      tokenType: 'Bearer',
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: this.refreshTtlS,
      user,
    }
  }
}
