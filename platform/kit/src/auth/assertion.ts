import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose'
import { AuthErrors } from './auth-errors.js'
import { ExpiringCache } from './expiring-cache.js'
import { type Identity, ROLES, type Role } from './identity.js'

/**
 * The identity assertion: the gateway's word, signed, on who the caller is.
 * A compact JWS (ES256) in one request header, addressed to one service
 * (`aud`), valid for a minute. Services verify it with the gateway's public
 * keys (`TRELLIS_EDGE_PUBLIC_KEYS`), which the control loop (or a
 * Kubernetes Secret) hands out; the private key only the gateway holds. A
 * process that can reach a service's port but not that key cannot make one,
 * and one made for catalog is refused by inventory.
 */
export const IDENTITY_HEADER = 'x-trellis-identity'
/** Headers with this prefix are the platform's own; the gateway removes any a client sends. */
export const RESERVED_HEADER_PREFIX = 'x-trellis-'

const ISSUER = 'trellis-edge'
const ALG = 'ES256'

const DEFAULTS = {
  // Long enough for one request's life (with the gateway's retries); short enough that a leaked one soon expires.
  ttlS: 60,
  // The gateway reuses an assertion for half its life, so it signs about once a minute per caller and service.
  reuseS: 30,
  // Processes on one host share a clock; across hosts, NTP keeps them within this.
  clockToleranceS: 5,
  cacheEntries: 10_000,
}

export interface EdgeKeys {
  /** The gateway's private key, a JWK as JSON: a secret. */
  signingKey: string
  /** The matching public key set (JWKS as JSON), for every service. */
  publicKeys: string
}

/** A fresh key pair for one run of the system (the control loop calls this at start). */
export async function generateEdgeKeys(kid = `edge-${Date.now().toString(36)}`): Promise<EdgeKeys> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true })
  const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }
  const priv = { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' }
  return { signingKey: JSON.stringify(priv), publicKeys: JSON.stringify({ keys: [pub] }) }
}

/** Signs assertions for the gateway; one per caller and service, reused while fresh. */
export class AssertionSigner {
  private readonly cache = new ExpiringCache<string>(DEFAULTS.cacheEntries)
  // The gateway keeps one Identity object per verified credential: the fast path finds its assertions by that object.
  private readonly byIdentity = new WeakMap<Identity, Map<string, { token: string; until: number }>>()

  private constructor(
    private readonly key: Awaited<ReturnType<typeof importJWK>>,
    private readonly kid: string | undefined,
  ) {}

  /** From the private JWK (JSON); throws a readable error for anything else. */
  static async fromJwk(text: string): Promise<AssertionSigner> {
    let jwk: JWK
    try {
      jwk = JSON.parse(text) as JWK
    } catch {
      throw new Error('the edge signing key is not JSON (expected a private JWK)')
    }
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string')
      throw new Error('the edge signing key must be a private EC P-256 JWK')
    return new AssertionSigner(await importJWK(jwk, ALG), jwk.kid)
  }

  /** A fresh assertion already made for this identity object and audience, without any work. */
  cached(identity: Identity, audience: string, now = Date.now()): string | undefined {
    const entry = this.byIdentity.get(identity)?.get(audience)
    return entry && entry.until > now ? entry.token : undefined
  }

  async sign(identity: Identity, audience: string, now = Date.now()): Promise<string> {
    const token = await this.signUncached(identity, audience, now)
    const forIdentity = this.byIdentity.get(identity) ?? new Map<string, { token: string; until: number }>()
    this.byIdentity.set(identity, forIdentity)
    forIdentity.set(audience, { token, until: now + DEFAULTS.reuseS * 1000 })
    return token
  }

  private async signUncached(identity: Identity, audience: string, now: number): Promise<string> {
    const cacheKey = `${audience} ${JSON.stringify(identity)}`
    const cached = this.cache.get(cacheKey, now)
    if (cached) return cached
    const iat = Math.floor(now / 1000)
    const token = await new SignJWT(toClaims(identity))
      .setProtectedHeader({ alg: ALG, ...(this.kid ? { kid: this.kid } : {}) })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setSubject(identity.subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + DEFAULTS.ttlS)
      .sign(this.key)
    this.cache.set(cacheKey, token, now + DEFAULTS.reuseS * 1000)
    return token
  }
}

/** Verifies assertions addressed to one service; a verified one is remembered until it expires. */
export class AssertionVerifier {
  private readonly cache = new ExpiringCache<Identity>(DEFAULTS.cacheEntries)

  private constructor(
    private readonly keys: ReturnType<typeof createLocalJWKSet>,
    private readonly audience: string,
  ) {}

  /** From the public key set (JSON); throws a readable error for anything else. */
  static fromJwks(text: string, audience: string): AssertionVerifier {
    let jwks: JSONWebKeySet
    try {
      jwks = JSON.parse(text) as JSONWebKeySet
    } catch {
      throw new Error('the edge public keys are not JSON (expected a JWKS: {"keys": [...]})')
    }
    if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0)
      throw new Error('the edge public keys hold no key (expected a JWKS: {"keys": [...]})')
    if (jwks.keys.some((k) => 'd' in k))
      throw new Error('the edge public keys contain a private key; give services the public half only')
    return new AssertionVerifier(createLocalJWKSet(jwks), audience)
  }

  /** The identity of an assertion verified before and not yet expired, without any work. */
  cached(token: string, now = Date.now()): Identity | undefined {
    return this.cache.get(token, now)
  }

  async verify(token: string, now = Date.now()): Promise<Identity> {
    const cached = this.cache.get(token, now)
    if (cached) return cached
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.keys, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: this.audience,
        clockTolerance: DEFAULTS.clockToleranceS,
        maxTokenAge: DEFAULTS.ttlS + DEFAULTS.clockToleranceS,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: new Date(now),
      }))
    } catch (error) {
      throw AuthErrors.assertionInvalid(reasonOf(error))
    }
    const identity = fromClaims(payload)
    if (!identity) throw AuthErrors.assertionInvalid('its claims are malformed')
    this.cache.set(token, identity, Math.min((payload.exp ?? 0) * 1000, now + DEFAULTS.ttlS * 1000))
    return identity
  }
}

function toClaims(identity: Identity): Record<string, unknown> {
  return {
    knd: identity.kind,
    roles: identity.roles,
    ...(identity.scopes.length ? { scp: identity.scopes } : {}),
    ...(identity.merchantId ? { mid: identity.merchantId } : {}),
    ...(identity.keyId ? { akid: identity.keyId } : {}),
  }
}

function fromClaims(claims: JWTPayload): Identity | undefined {
  const { sub, knd, roles, scp, mid, akid } = claims as Record<string, unknown>
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) return undefined
  if (knd !== 'user' && knd !== 'api-key') return undefined
  if (!Array.isArray(roles) || !roles.every((r) => ROLES.includes(r as Role))) return undefined
  if (scp !== undefined && !(Array.isArray(scp) && scp.every((s) => typeof s === 'string'))) return undefined
  if (mid !== undefined && typeof mid !== 'string') return undefined
  if (akid !== undefined && typeof akid !== 'string') return undefined
  return {
    subject: sub,
    kind: knd,
    roles: roles as Role[],
    scopes: (scp as string[] | undefined) ?? [],
    ...(mid ? { merchantId: mid as string } : {}),
    ...(akid ? { keyId: akid as string } : {}),
  }
}

/** jose's error codes, in words a problem document may carry (never the token itself). */
export function reasonOf(error: unknown): string {
  switch ((error as { code?: string }).code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'its signature does not verify'
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'it is signed with an unknown key'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'its algorithm is not allowed'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: string }).claim
      return `its ${claim ?? 'claims'} claim is not acceptable`
    }
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'it is not a well-formed JWT'
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'it uses an unsupported algorithm or key'
    default:
      return 'it could not be verified'
  }
}
