import { randomUUID } from 'node:crypto'
import type { Database, Role } from '@trellis/kit'
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose'

/**
 * The keys access tokens are signed with, kept in the service's database so
 * that every replica signs with the same key and serves the same JWKS.
 *
 * Rotation: a new key is published at once and starts signing after
 * `activationDelayS`, so every verifier that refreshes its copy of the JWKS
 * has it before the first token it signed arrives; then the old key
 * retires. A retired key signs nothing more (its private half is erased)
 * but stays in the JWKS until every token it signed has expired (the access
 * token lifetime plus a margin for clock skew), so rotating never signs
 * anyone out.
 */
const ALG = 'ES256'
// Any replica's lock for key changes; replicas that start together create one first key, not two.
const LOCK_KEY = 7_310_552

const DEFAULTS = {
  // Another replica's rotation reaches this one's signing within this long; until then it signs with a key the JWKS still lists.
  reloadMs: 10_000,
}

export interface KeyRingOptions {
  accessTokenTtlS: number
  issuer: string
  audience: string
  /** A signing key older than this is rotated (checked at start and hourly); 0 = only when asked. */
  rotationDays: number
  /** Beyond the token lifetime, how long a retired key stays listed: clocks of different hosts differ a little. */
  retiredGraceS: number
  /** How long a new key is listed before it signs. */
  activationDelayS: number
}

export interface AccessTokenSubject {
  id: string
  email: string
  roles: Role[]
  merchantId: string | null
}

export class KeyRing {
  private active: { kid: string; key: Awaited<ReturnType<typeof importJWK>>; reloadAt: number } | undefined

  constructor(
    private readonly db: Database,
    private readonly options: KeyRingOptions,
  ) {}

  /** Creates the first key when there is none, and rotates one older than the rotation period. */
  async prepare(): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
      const { rows } = await tx.query<{ age_days: number }>(
        `SELECT extract(epoch FROM now() - created_at) / 86400 AS age_days FROM signing_keys
         WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
      )
      const current = rows[0]
      const old =
        this.options.rotationDays > 0 && current && Number(current.age_days) >= this.options.rotationDays
      if (!current) await this.addKey(tx, 0)
      else if (old) await this.addKey(tx, this.options.activationDelayS)
      // Private halves of keys that no longer sign are of no use to anyone: erase them.
      await tx.query(
        'UPDATE signing_keys SET private_jwk = NULL WHERE retired_at <= now() AND private_jwk IS NOT NULL',
      )
    })
    this.active = undefined
  }

  /** Adds a key and retires the others; returns the new key's id. */
  async rotate(): Promise<string> {
    const kid = await this.db.tx(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
      return this.addKey(tx, this.options.activationDelayS)
    })
    this.active = undefined
    return kid
  }

  /** The public keys a verifier needs now: the signing key and retired keys whose tokens may still be alive. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { rows } = await this.db.query<{ public_jwk: JWK }>(
      `SELECT public_jwk FROM signing_keys
       WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
       ORDER BY created_at DESC`,
      [this.options.accessTokenTtlS + this.options.retiredGraceS],
    )
    return { keys: rows.map((r) => r.public_jwk) }
  }

  async signAccessToken(subject: AccessTokenSubject): Promise<{ token: string; expiresIn: number }> {
    const { kid, key } = await this.signingKey()
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({
      roles: subject.roles,
      email: subject.email,
      ...(subject.merchantId ? { mid: subject.merchantId } : {}),
    })
      .setProtectedHeader({ alg: ALG, kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(subject.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.accessTokenTtlS)
      .sign(key)
    return { token, expiresIn: this.options.accessTokenTtlS }
  }

  private async signingKey(): Promise<{ kid: string; key: Awaited<ReturnType<typeof importJWK>> }> {
    if (this.active && Date.now() < this.active.reloadAt) return this.active
    const { rows } = await this.db.query<{ kid: string; private_jwk: JWK; next_change_ms: number | null }>(
      `SELECT kid, private_jwk,
         (SELECT extract(epoch FROM min(activates_at) - now()) * 1000 FROM signing_keys WHERE activates_at > now()) AS next_change_ms
       FROM signing_keys
       WHERE activates_at <= now() AND (retired_at IS NULL OR retired_at > now()) AND private_jwk IS NOT NULL
       ORDER BY activates_at DESC LIMIT 1`,
    )
    const row = rows[0]
    if (!row) {
      await this.prepare()
      return this.signingKey()
    }
    // Reload when the next key activates, if that is sooner than the usual reload.
    const wait = Math.min(
      DEFAULTS.reloadMs,
      Math.max(0, Number(row.next_change_ms ?? Number.POSITIVE_INFINITY)),
    )
    this.active = { kid: row.kid, key: await importJWK(row.private_jwk, ALG), reloadAt: Date.now() + wait }
    return this.active
  }

  private async addKey(tx: { query: Database['query'] }, delayS: number): Promise<string> {
    const kid = `${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true })
    const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }
    const priv = { ...(await exportJWK(privateKey)), kid, alg: ALG }
    const activates = `now() + make_interval(secs => ${Number(delayS)})`
    // The keys signing now retire when the new one takes over.
    await tx.query(`UPDATE signing_keys SET retired_at = ${activates} WHERE retired_at IS NULL`)
    await tx.query(
      `INSERT INTO signing_keys (kid, private_jwk, public_jwk, activates_at) VALUES ($1, $2, $3, ${activates})`,
      [kid, JSON.stringify(priv), JSON.stringify(pub)],
    )
    return kid
  }
}
