import { eventually, http, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { identity } from '../../src/service.js'

let service: TestService
const NORTHWIND = 'afd7445b-c8c2-57f1-afb7-fddf4d9afacb'

beforeAll(async () => {
  service = await startTestService(identity, {
    postgresUrl: inject('postgresUrl'),
    // A one-second access token lets the key rotation test see a retired key leave the JWKS.
    env: {
      TRELLIS_SEED: 'true',
      TRELLIS_IDENTITY_ACCESS_TOKEN_TTL_S: '1',
      TRELLIS_IDENTITY_RETIRED_KEY_GRACE_S: '1',
      TRELLIS_IDENTITY_KEY_ACTIVATION_DELAY_S: '1',
    },
  })
})
afterAll(() => service?.stop())

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  http(`${service.url}${path}`, { body, headers })
const login = (email: string, password: string) => post('/login', { email, password })

describe('sign-up and sign-in', () => {
  it('signs up a customer and signs them in with an ES256 access token', async () => {
    const res = await post('/signup', {
      email: 'New.User@Example.com',
      password: 'a long passphrase',
      name: 'New',
    })
    expect(res.status).toBe(201)
    expect(res.body.user).toMatchObject({
      email: 'new.user@example.com',
      roles: ['customer'],
      merchantId: null,
    })
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/)
    const claims = decodeJwt(res.body.accessToken)
    expect(claims).toMatchObject({
      iss: 'trellis-identity',
      aud: 'trellis',
      sub: res.body.user.id,
      roles: ['customer'],
    })
    expect(decodeProtectedHeader(res.body.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
    const again = await post('/signup', {
      email: 'new.user@example.com',
      password: 'another passphrase',
      name: 'X',
    })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('TRELLIS_IDENTITY_EMAIL_TAKEN')
  })

  it('signs in seeded accounts, and a merchant token names its merchant', async () => {
    const res = await login('northwind@example.com', 'merchant-demo-pass')
    expect(res.status).toBe(200)
    expect(decodeJwt(res.body.accessToken)).toMatchObject({ roles: ['merchant'], mid: NORTHWIND })
  })

  it('answers a wrong password and an unknown email alike, and throttles guessing', async () => {
    await post('/signup', { email: 'guess@example.com', password: 'the right one', name: 'G' })
    const unknown = await login('nobody@example.com', 'whatever-it-is')
    const wrong = await login('guess@example.com', 'not the right one')
    expect([unknown.status, wrong.status]).toEqual([401, 401])
    expect(unknown.body.code).toBe(wrong.body.code)
    for (let i = 0; i < 4; i++) await login('guess@example.com', 'still wrong!')
    const throttled = await login('guess@example.com', 'the right one')
    expect(throttled.status).toBe(429)
    expect(throttled.body.code).toBe('TRELLIS_IDENTITY_LOGIN_THROTTLED')
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('refuses malformed sign-ups with 400 and stores nothing', async () => {
    for (const body of [
      { email: 'not-an-email', password: 'long enough', name: 'x' },
      { email: 'short@example.com', password: 'short', name: 'x' },
      { email: 'x@example.com', password: 'long enough', name: 'x', roles: ['admin'] },
      { email: "' OR 1=1 --@example.com", password: 'long enough', name: '\u0000' },
    ]) {
      expect((await post('/signup', body)).status).toBe(400)
    }
    const admin = await service.as(TEST_IDENTITIES.admin)
    const users = await http(`${service.url}/users?limit=500`, { headers: admin })
    expect(users.body.items.map((u: { email: string }) => u.email)).not.toContain('x@example.com')
  })
})

describe('refresh tokens', () => {
  it('rotates on every use; a reused token revokes its whole sign-in', async () => {
    const first = (await login('alice@example.com', 'customer-demo-pass')).body
    const second = await post('/refresh', { refreshToken: first.refreshToken })
    expect(second.status).toBe(200)
    expect(second.body.refreshToken).not.toBe(first.refreshToken)
    const reused = await post('/refresh', { refreshToken: first.refreshToken })
    expect(reused.status).toBe(401)
    expect(reused.body.code).toBe('TRELLIS_IDENTITY_REFRESH_TOKEN_REUSED')
    // The thief's use revoked the family: the legitimate holder's newer token is dead too.
    const after = await post('/refresh', { refreshToken: second.body.refreshToken })
    expect(after.body.code).toBe('TRELLIS_IDENTITY_REFRESH_TOKEN_INVALID')
  })

  it('lets exactly one of two concurrent uses of a token win', async () => {
    const { refreshToken } = (await login('bob@example.com', 'customer-demo-pass')).body
    const results = await Promise.all([1, 2].map(() => post('/refresh', { refreshToken })))
    expect(results.map((r) => r.status).sort()).toEqual([200, 401])
  })

  it('signs out one sign-in, and revokes every sign-in of an account', async () => {
    const a = (await login('alice@example.com', 'customer-demo-pass')).body
    const b = (await login('alice@example.com', 'customer-demo-pass')).body
    expect((await post('/logout', { refreshToken: a.refreshToken })).status).toBe(204)
    expect((await post('/refresh', { refreshToken: a.refreshToken })).status).toBe(401)
    const c = await post('/refresh', { refreshToken: b.refreshToken })
    expect(c.status).toBe(200)
    const admin = await service.as(TEST_IDENTITIES.admin)
    const revoke = await http(`${service.url}/users/${c.body.user.id}/sessions`, {
      method: 'DELETE',
      headers: admin,
    })
    expect(revoke.status).toBe(204)
    expect((await post('/refresh', { refreshToken: c.body.refreshToken })).status).toBe(401)
    for (const junk of ['', 'x'.repeat(200), `${'a'.repeat(32)}.${'b'.repeat(43)}`]) {
      expect((await post('/refresh', { refreshToken: junk })).status).toBeGreaterThanOrEqual(400)
    }
  })
})

describe('signing keys', () => {
  it('rotates, keeping the retired key listed until its tokens have expired', async () => {
    const before = (await http(`${service.url}/.well-known/jwks.json`)).body.keys
    const oldToken = (await login('alice@example.com', 'customer-demo-pass')).body.accessToken
    const oldKid = decodeProtectedHeader(oldToken).kid
    expect(before.map((k: { kid: string }) => k.kid)).toContain(oldKid)
    expect(before.every((k: Record<string, unknown>) => !('d' in k))).toBe(true)
    const rotated = await http(`${service.url}/keys/rotate`, {
      method: 'POST',
      headers: await service.as(TEST_IDENTITIES.admin),
    })
    expect(rotated.status).toBe(200)
    // Published at once, signing a moment later: verifiers learn the key before its first token.
    const both = (await http(`${service.url}/.well-known/jwks.json`)).body.keys.map(
      (k: { kid: string }) => k.kid,
    )
    expect(both).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]))
    await eventually(
      async () => {
        const token = (await login('alice@example.com', 'customer-demo-pass')).body.accessToken
        return decodeProtectedHeader(token).kid === rotated.body.kid
      },
      10_000,
      'tokens signed with the new key',
    )
    // Tokens live 1 s here, plus 1 s of grace for clock skew: poll until the old key is gone.
    await eventually(
      async () => {
        const keys = (await http(`${service.url}/.well-known/jwks.json`)).body.keys
        return !keys.some((k: { kid: string }) => k.kid === oldKid)
      },
      15_000,
      'the retired key to leave the JWKS',
    )
  })

  it('lets only an admin rotate keys', async () => {
    const res = await http(`${service.url}/keys/rotate`, {
      method: 'POST',
      headers: await service.as(TEST_IDENTITIES.customer),
    })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('TRELLIS_AUTH_FORBIDDEN')
    expect((await http(`${service.url}/keys/rotate`, { method: 'POST' })).status).toBe(401)
  })
})

describe('API keys', () => {
  const merchant = TEST_IDENTITIES.merchant(NORTHWIND, '3e5f6a7b-adbc-4e3f-9a4b-8c9d0e1f2a04')
  const other = TEST_IDENTITIES.merchant(
    '24df5d40-5282-5d4c-8e0d-95279fc57582',
    '4f6a7b8c-becd-4f4a-8b5c-9d0e1f2a3b05',
  )

  it('creates a scoped key shown once, verifies it, and revokes it', async () => {
    const headers = await service.as(merchant)
    const created = await post('/api-keys', { name: 'shop sync', scopes: ['inventory:read'] }, headers)
    expect(created.status).toBe(201)
    expect(created.body.key).toMatch(/^trk_[0-9a-f]{32}_/)
    const listed = await http(`${service.url}/api-keys`, { headers })
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key.slice(-20))
    const verified = await post('/api-keys/verify', { key: created.body.key })
    expect(verified.body).toMatchObject({
      subject: merchant.subject,
      keyId: created.body.id,
      roles: ['merchant'],
      scopes: ['inventory:read'],
      merchantId: NORTHWIND,
    })
    // Another merchant cannot see or revoke it: it does not exist for them.
    const theirs = await http(`${service.url}/api-keys/${created.body.id}`, {
      method: 'DELETE',
      headers: await service.as(other),
    })
    expect(theirs.status).toBe(404)
    expect((await http(`${service.url}/api-keys`, { headers: await service.as(other) })).body.items).toEqual(
      [],
    )
    const revoked = await http(`${service.url}/api-keys/${created.body.id}`, { method: 'DELETE', headers })
    expect(revoked.status).toBe(204)
    const dead = await post('/api-keys/verify', { key: created.body.key })
    expect(dead.status).toBe(401)
    expect(dead.body.code).toBe('TRELLIS_IDENTITY_API_KEY_INVALID')
  })

  it('refuses scopes beyond the owner, keys for customers, and forged keys', async () => {
    const tooMuch = await post(
      '/api-keys',
      { name: 'x', scopes: ['identity:admin'] },
      await service.as(merchant),
    )
    expect(tooMuch.status).toBe(422)
    const customer = await post(
      '/api-keys',
      { name: 'x', scopes: ['inventory:read'] },
      await service.as(TEST_IDENTITIES.customer),
    )
    expect(customer.status).toBe(403)
    for (const key of ['trk_nope', `trk_${'0'.repeat(32)}_${'A'.repeat(43)}`, "' OR 1=1 --"]) {
      expect((await post('/api-keys/verify', { key })).status).toBe(401)
    }
  })
})
