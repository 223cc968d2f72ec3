import { describe, expect, it } from 'vitest'
import { quote, shippingOptions } from './rates.js'

describe('rate card', () => {
  it('prices by zone and started kilogram', () => {
    expect(quote('US', 'standard', 1)?.priceCents).toBe(600)
    expect(quote('US', 'standard', 1001)?.priceCents).toBe(700)
    expect(quote('FR', 'express', 500)?.priceCents).toBe(4800)
  })
  it('drops options over their weight limit and serves no one in unserved places', () => {
    expect(shippingOptions('US', 20_000).map((o) => o.code)).toEqual(['standard'])
    expect(shippingOptions('AQ', 100)).toEqual([])
  })
})
