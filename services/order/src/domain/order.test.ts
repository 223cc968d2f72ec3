import { describe, expect, it } from 'vitest'
import { fingerprint, normalizeLines, weightOf } from './order.js'

describe('order rules', () => {
  it('merges lines by SKU in a stable order', () => {
    expect(
      normalizeLines([
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 3 },
      ]),
    ).toEqual([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 4 },
    ])
  })
  it('weighs units and fingerprints content', () => {
    expect(weightOf([{ quantity: 3 }])).toBe(1200)
    expect(fingerprint({ a: 1 })).toBe(fingerprint({ a: 1 }))
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }))
  })
})
