import { describe, expect, it } from 'vitest'
import { callPolicy, resolvePolicies } from './call-policy.js'
import { parseBudget } from './deadline.js'

describe('call policies', () => {
  it('layers defaults, global env, the definition and per-dependency env, in that order', () => {
    const policies = resolvePolicies(
      ['inventory', 'catalog'],
      { inventory: { timeoutMs: 300, retries: 1, routes: { 'GET /stock/:sku': { timeoutMs: 100 } } } },
      {
        TRELLIS_CALL_TIMEOUT_MS: '900',
        TRELLIS_CALL_BULKHEAD_LIMIT: '8',
        TRELLIS_CALL_INVENTORY_RETRIES: '0',
        TRELLIS_CALL_INVENTORY_URLS: 'http://127.0.0.1:1,http://127.0.0.1:2',
      },
    )
    expect(policies.get('inventory')!.policy).toMatchObject({
      timeoutMs: 300,
      retries: 0,
      bulkheadLimit: 8,
      urls: ['http://127.0.0.1:1', 'http://127.0.0.1:2'],
    })
    expect(policies.get('inventory')!.routes).toEqual({ 'GET /stock/:sku': { timeoutMs: 100 } })
    expect(policies.get('catalog')!.policy).toMatchObject({
      timeoutMs: 900,
      retries: 2,
      bulkheadLimit: 8,
      urls: [],
    })
  })

  it('fails with the variable and the reason for a bad value', () => {
    expect(() => resolvePolicies(['inventory'], {}, { TRELLIS_CALL_INVENTORY_BALANCER: 'random' })).toThrow(
      /TRELLIS_CALL_INVENTORY_BALANCER/,
    )
  })

  it('gives every member a default', () => {
    expect(callPolicy()).toMatchObject({
      timeoutMs: 2_000,
      retries: 2,
      breakerFailures: 5,
      balancer: 'round-robin',
    })
  })

  it('reads a deadline budget header', () => {
    expect(parseBudget(undefined)).toBeUndefined()
    expect(parseBudget('250')).toBe(250)
    expect(parseBudget('-3')).toBe(-3)
    expect(parseBudget('soon')).toBeNaN()
    expect(parseBudget('1e9')).toBeNaN()
  })
})
