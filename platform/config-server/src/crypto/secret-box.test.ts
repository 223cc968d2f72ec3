import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { serviceToken, TokenAuthorizer } from '../auth/tokens.js'
import { SecretBox } from './secret-box.js'

describe('secret box', () => {
  const box = new SecretBox(randomBytes(32).toString('base64url'))

  it('seals a value that only the same key and place open', () => {
    const sealed = box.seal({ token: 'sk-1' }, 'shop\0default\0\0apiKey')
    expect(sealed).toMatch(/^v1\./)
    expect(sealed).not.toContain('sk-1')
    expect(box.seal('x', 'p')).not.toBe(box.seal('x', 'p'))
    expect(box.open(sealed, 'shop\0default\0\0apiKey')).toEqual({ token: 'sk-1' })
    expect(() => box.open(sealed, 'shop\0default\0\0otherKey')).toThrow()
    expect(() =>
      new SecretBox(randomBytes(32).toString('base64')).open(sealed, 'shop\0default\0\0apiKey'),
    ).toThrow()
  })

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/)
  })
})

describe('tokens', () => {
  const admin = 'admin-token-admin-token-admin-token'
  const authorizer = new TokenAuthorizer(admin)

  it('tells the admin, a service and an anonymous caller apart', () => {
    expect(authorizer.identify(undefined)).toEqual({ kind: 'anonymous' })
    expect(authorizer.identify(`Bearer ${admin}`)).toEqual({ kind: 'admin' })
    expect(authorizer.identify(`Bearer ${serviceToken(admin, 'shop')}`)).toEqual({
      kind: 'service',
      service: 'shop',
    })
  })

  it('refuses forged and malformed tokens', () => {
    const forged = serviceToken(admin, 'shop').replace('svc.shop.', 'svc.billing.')
    expect(authorizer.identify(`Bearer ${forged}`)).toBeUndefined()
    expect(authorizer.identify(`Bearer ${serviceToken('another-admin', 'shop')}`)).toBeUndefined()
    expect(authorizer.identify('Basic abc')).toBeUndefined()
    expect(authorizer.identify(`Bearer ${admin}x`)).toBeUndefined()
  })
})
