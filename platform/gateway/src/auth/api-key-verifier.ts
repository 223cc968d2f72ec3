import { createHash } from 'node:crypto'
import { ExpiringCache, type Identity, type Role } from '@trellis/kit/platform'
import { GatewayErrors } from '../errors.js'
import type { IdentityClient } from './identity-client.js'

const DEFAULTS = {
  cacheEntries: 10_000,
  // A revoked key stops working within this long (docs/security.md); identity is asked once per key per period.
  acceptedForMs: 30_000,
  refusedForMs: 10_000,
  maxLength: 200,
}

/** API keys, checked by the identity service (which holds only their hashes) and remembered briefly. */
export class ApiKeyVerifier {
  private readonly accepted = new ExpiringCache<Identity>(DEFAULTS.cacheEntries)
  private readonly refused = new ExpiringCache<true>(DEFAULTS.cacheEntries)

  constructor(
    private readonly client: IdentityClient,
    private readonly acceptedForMs = DEFAULTS.acceptedForMs,
  ) {}

  async verify(key: string): Promise<Identity> {
    if (key.length > DEFAULTS.maxLength || !/^[\x21-\x7e]+$/.test(key)) throw GatewayErrors.apiKeyInvalid()
    // The cache holds hashes, not the keys themselves.
    const id = createHash('sha256').update(key).digest('base64url')
    const now = Date.now()
    const known = this.accepted.get(id, now)
    if (known) return known
    if (this.refused.get(id, now)) throw GatewayErrors.apiKeyInvalid()
    const res = await this.client.call('POST', '/api-keys/verify', { key })
    if (res.status === 401 || res.status === 400) {
      this.refused.set(id, true, now + DEFAULTS.refusedForMs)
      throw GatewayErrors.apiKeyInvalid()
    }
    if (res.status !== 200) throw GatewayErrors.authUnavailable(`the API key check answered ${res.status}`)
    const body = res.body as {
      subject: string
      keyId: string
      roles: Role[]
      scopes: string[]
      merchantId: string | null
    }
    const identity: Identity = {
      subject: body.subject,
      kind: 'api-key',
      roles: body.roles,
      scopes: body.scopes,
      keyId: body.keyId,
      ...(body.merchantId ? { merchantId: body.merchantId } : {}),
    }
    this.accepted.set(id, identity, now + this.acceptedForMs)
    return identity
  }
}
