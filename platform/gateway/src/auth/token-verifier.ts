import {
  ExpiringCache,
  type Identity,
  isTrellisError,
  ROLES,
  type Role,
  reasonOf,
} from '@trellis/kit/platform'
import { jwtVerify } from 'jose'
import { GatewayErrors } from '../errors.js'
import type { JwksCache } from './jwks-cache.js'

export interface TokenOptions {
  issuer: string
  audience: string
}

const DEFAULTS = {
  cacheEntries: 10_000,
  // A refused token is refused again without the signature check for this long.
  refusedForMs: 60_000,
  clockToleranceS: 5,
  // Longer than any real token: header, claims and an ES256 signature take a few hundred bytes.
  maxLength: 4_096,
}

/**
 * Verifies access tokens from identity: ES256 only (so `alg: none` and
 * HMAC-with-the-public-key tricks are refused), the right issuer and
 * audience, the `at+jwt` type, not expired. A verified token is remembered
 * until it expires, so a client's requests after the first cost a map lookup.
 */
export class TokenVerifier {
  private readonly verified = new ExpiringCache<Identity>(DEFAULTS.cacheEntries)
  private readonly refused = new ExpiringCache<string>(DEFAULTS.cacheEntries)

  constructor(
    private readonly jwks: JwksCache,
    private readonly options: TokenOptions,
  ) {}

  /** The identity of a token verified before and not expired yet, without any work. */
  cached(token: string): Identity | undefined {
    return this.verified.get(token)
  }

  async verify(token: string): Promise<Identity> {
    const now = Date.now()
    const known = this.verified.get(token, now)
    if (known) return known
    const reason = this.refused.get(token, now)
    if (reason) throw GatewayErrors.tokenInvalid(reason)
    if (token.length > DEFAULTS.maxLength) throw GatewayErrors.tokenInvalid('it is too long')
    try {
      const { payload } = await jwtVerify(token, this.jwks.resolve, {
        algorithms: ['ES256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: DEFAULTS.clockToleranceS,
      })
      const { sub, roles, mid } = payload as { sub?: unknown; roles?: unknown; mid?: unknown }
      if (
        typeof sub !== 'string' ||
        !Array.isArray(roles) ||
        !roles.every((r) => ROLES.includes(r as Role)) ||
        (mid !== undefined && typeof mid !== 'string')
      )
        throw GatewayErrors.tokenInvalid('its claims are malformed')
      const identity: Identity = {
        subject: sub,
        kind: 'user',
        roles: roles as Role[],
        scopes: [],
        ...(typeof mid === 'string' ? { merchantId: mid } : {}),
      }
      this.verified.set(token, identity, (payload.exp ?? 0) * 1000)
      return identity
    } catch (error) {
      if (isTrellisError(error) && error.code === GatewayErrors.authUnavailable.code) throw error
      const why = isTrellisError(error)
        ? error.message.replace(/^the access token was refused: /, '')
        : reasonOf(error)
      // An unknown key may be one identity just published: that refusal is not remembered.
      if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY')
        this.refused.set(token, why, now + DEFAULTS.refusedForMs)
      throw GatewayErrors.tokenInvalid(why)
    }
  }
}
