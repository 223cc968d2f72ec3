import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters } from 'jose'
import { GatewayErrors } from '../errors.js'
import type { IdentityClient } from './identity-client.js'

const DEFAULTS = {
  // Keys rotate rarely, and an unknown kid triggers a refresh at once; this only bounds how long a removed key lingers.
  maxAgeMs: 5 * 60_000,
  // A flood of tokens with made-up kids causes at most one JWKS fetch per this interval
  // (identity publishes a new key before it signs with it, so real tokens never wait for it).
  refetchCooldownMs: 1_000,
}

/**
 * The identity service's public keys, fetched once and kept. A token signed
 * by a key not in the set (identity rotated its key) fetches the set again,
 * at most once per cooldown; old keys stay in identity's JWKS until their
 * tokens expire, so a rotation never fails a valid token.
 */
export class JwksCache {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined
  private kids = new Set<string>()
  private fetchedAt = 0
  private fetching: Promise<void> | undefined

  constructor(
    private readonly client: IdentityClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A key resolver for jose's jwtVerify. */
  readonly resolve = async (header: JWSHeaderParameters) => {
    const age = this.now() - this.fetchedAt
    const unknownKid = header.kid === undefined || !this.kids.has(header.kid)
    if (!this.keys || age > DEFAULTS.maxAgeMs || (unknownKid && age > DEFAULTS.refetchCooldownMs)) {
      try {
        await this.refresh()
      } catch (error) {
        if (!this.keys) throw error
      }
    }
    return this.keys!(header)
  }

  private refresh(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const res = await this.client.call('GET', '/.well-known/jwks.json')
        const jwks = res.body as JSONWebKeySet | undefined
        if (res.status !== 200 || !Array.isArray(jwks?.keys))
          throw GatewayErrors.authUnavailable(`the identity JWKS answered ${res.status}`)
        this.keys = createLocalJWKSet(jwks)
        this.kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'))
        this.fetchedAt = this.now()
      } finally {
        this.fetching = undefined
      }
    })()
    return this.fetching
  }
}
