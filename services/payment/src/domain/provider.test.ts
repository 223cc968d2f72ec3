import { describe, expect, it } from 'vitest'
import { authorizeOutcome, TEST_TOKENS } from './provider.js'

const knobs = { declineRate: 0, timeoutRate: 0, testTokens: true }

describe('simulated provider', () => {
  it('follows test tokens when they are allowed', () => {
    expect(authorizeOutcome(TEST_TOKENS.decline, knobs)).toBe('declined')
    expect(authorizeOutcome(TEST_TOKENS.timeout, knobs)).toBe('lost')
    expect(authorizeOutcome(TEST_TOKENS.ok, { ...knobs, declineRate: 1 })).toBe('approved')
  })
  it('ignores them when they are not', () => {
    expect(authorizeOutcome(TEST_TOKENS.decline, { ...knobs, testTokens: false })).toBe('approved')
  })
  it('declines and loses at the configured rates', () => {
    const at = (r: number) => () => r
    const k = { ...knobs, declineRate: 0.2, timeoutRate: 0.1 }
    expect(authorizeOutcome(undefined, k, at(0.1))).toBe('declined')
    expect(authorizeOutcome(undefined, k, at(0.25))).toBe('lost')
    expect(authorizeOutcome(undefined, k, at(0.5))).toBe('approved')
  })
})
