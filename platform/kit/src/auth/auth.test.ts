import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { AssertionSigner, AssertionVerifier, generateEdgeKeys } from './assertion.js'
import { ExpiringCache } from './expiring-cache.js'
import { decide, type Identity, parsePolicy } from './identity.js'
import { inScope, ownerScope } from './ownership.js'

const customer: Identity = { subject: 'u-1', kind: 'user', roles: ['customer'], scopes: [] }
const merchant: Identity = {
  subject: 'u-2',
  kind: 'user',
  roles: ['merchant'],
  scopes: [],
  merchantId: 'm-1',
}
const admin: Identity = { subject: 'u-3', kind: 'user', roles: ['admin'], scopes: [] }
const key: Identity = { ...merchant, kind: 'api-key', scopes: ['inventory:read'], keyId: 'k-1' }

describe('policies', () => {
  it('decides public, signed-in, role and scope policies', () => {
    expect(decide('public', undefined)).toBe('allow')
    expect(decide('signed-in', undefined)).toBe('unauthenticated')
    expect(decide(undefined, undefined)).toBe('unauthenticated')
    expect(decide('signed-in', customer)).toBe('allow')
    const stock = { roles: ['merchant', 'admin'] as const, scopes: ['inventory:write'] }
    const policy = { roles: [...stock.roles], scopes: stock.scopes }
    expect(decide(policy, customer)).toBe('forbidden')
    expect(decide(policy, merchant)).toBe('allow') // a user's session is not limited by scopes
    expect(decide(policy, admin)).toBe('allow')
    expect(decide(policy, key)).toBe('forbidden') // the key lacks inventory:write
    expect(decide({ roles: ['merchant'], scopes: ['inventory:read'] }, key)).toBe('allow')
  })

  it('reads policies from registry metadata strictly', () => {
    expect(parsePolicy('public')).toBe('public')
    expect(parsePolicy(undefined)).toBe('signed-in')
    expect(parsePolicy('everyone')).toBe('signed-in')
    expect(parsePolicy({ roles: ['support'] })).toEqual({ roles: ['support'] })
    expect(decide(parsePolicy({ roles: ['support'] }), admin)).toBe('forbidden')
  })
})

describe('ownership', () => {
  it('scopes a merchant to its merchant, a customer to itself, an admin to all', () => {
    expect(ownerScope(merchant, 'merchant')).toBe('m-1')
    expect(ownerScope(customer, 'customer')).toBe('u-1')
    expect(ownerScope(admin, 'merchant')).toBeNull()
    expect(() => ownerScope(customer, 'merchant')).toThrow(/merchant role/)
    expect(() => ownerScope(undefined, 'customer')).toThrow(/signed-in/)
    expect(inScope(null, 'm-2')).toBe(true)
    expect(inScope('m-1', 'm-2')).toBe(false)
    expect(inScope('m-1', null)).toBe(false)
  })
})

describe('identity assertions', () => {
  it('round-trips an identity for its audience and reuses a fresh assertion', async () => {
    const keys = await generateEdgeKeys()
    const signer = await AssertionSigner.fromJwk(keys.signingKey)
    const verifier = AssertionVerifier.fromJwks(keys.publicKeys, 'catalog')
    const token = await signer.sign(key, 'catalog')
    expect(await signer.sign(key, 'catalog')).toBe(token)
    expect(await verifier.verify(token)).toEqual(key)
    await expect(AssertionVerifier.fromJwks(keys.publicKeys, 'inventory').verify(token)).rejects.toThrow(
      /aud claim/,
    )
  })

  it('refuses expired, forged, unsigned and malformed assertions', async () => {
    const keys = await generateEdgeKeys()
    const verifier = AssertionVerifier.fromJwks(keys.publicKeys, 'catalog')
    const signer = await AssertionSigner.fromJwk(keys.signingKey)
    const old = await signer.sign(customer, 'catalog', Date.now() - 120_000)
    await expect(verifier.verify(old)).rejects.toThrow(/expired/)
    const other = await generateKeyPair('ES256')
    const forged = await new SignJWT({ knd: 'user', roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: JSON.parse(keys.signingKey).kid })
      .setIssuer('trellis-edge')
      .setAudience('catalog')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(other.privateKey)
    await expect(verifier.verify(forged)).rejects.toThrow(/signature/)
    const none = new UnsecuredJWT({ knd: 'user', roles: ['admin'] })
      .setIssuer('trellis-edge')
      .setAudience('catalog')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('1m')
      .encode()
    await expect(verifier.verify(none)).rejects.toThrow(/algorithm|well-formed/)
    await expect(verifier.verify('not.a.jwt')).rejects.toThrow(/TRELLIS|refused/)
    const badClaims = await new SignJWT({ knd: 'root', roles: ['god'] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('trellis-edge')
      .setAudience('catalog')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(await (await import('jose')).importJWK(JSON.parse(keys.signingKey), 'ES256'))
    await expect(verifier.verify(badClaims)).rejects.toThrow(/malformed/)
  })

  it('refuses key material of the wrong kind at start', async () => {
    const keys = await generateEdgeKeys()
    expect(() => AssertionVerifier.fromJwks(`{"keys":[${keys.signingKey}]}`, 'x')).toThrow(/private key/)
    expect(() => AssertionVerifier.fromJwks('nope', 'x')).toThrow(/not JSON/)
    await expect(
      AssertionSigner.fromJwk(JSON.stringify(JSON.parse(keys.publicKeys).keys[0])),
    ).rejects.toThrow(/private EC P-256/)
    const ed = await generateKeyPair('EdDSA', { extractable: true })
    await expect(AssertionSigner.fromJwk(JSON.stringify(await exportJWK(ed.privateKey)))).rejects.toThrow(
      /P-256/,
    )
  })
})

describe('ExpiringCache', () => {
  it('expires entries and stays within its bound', () => {
    const cache = new ExpiringCache<number>(2)
    cache.set('a', 1, 1_000)
    expect(cache.get('a', 999)).toBe(1)
    expect(cache.get('a', 1_000)).toBeUndefined()
    cache.set('a', 1, 5_000)
    cache.set('b', 2, 5_000)
    cache.set('c', 3, 5_000)
    expect(cache.size).toBe(2)
    expect(cache.get('a', 0)).toBeUndefined()
  })
})
