import { describe, expect, it } from 'vitest'
import { decodeCursor, encodeCursor } from './cursor.js'
import { checkSkus, likePattern } from './product.js'

const options = [
  { name: 'Color', values: ['Black', 'White'] },
  { name: 'Size', values: ['S', 'M'] },
]

describe('SKU rules', () => {
  it('accepts one SKU per combination of option values', () => {
    expect(() =>
      checkSkus(options, [
        { sku: 'TEE-B-S', options: { Color: 'Black', Size: 'S' }, priceCents: 1 },
        { sku: 'TEE-W-M', options: { Color: 'White', Size: 'M' }, priceCents: 1 },
      ]),
    ).not.toThrow()
  })

  it.each([
    [[{ sku: 'A', options: { Color: 'Black' }, priceCents: 1 }], /must name a value for each option/],
    [[{ sku: 'A', options: { Color: 'Red', Size: 'S' }, priceCents: 1 }], /Red is not a value of Color/],
    [[{ sku: 'A', options: { Colour: 'Black', Size: 'S' }, priceCents: 1 }], /no option Colour/],
    [
      [
        { sku: 'A', options: { Color: 'Black', Size: 'S' }, priceCents: 1 },
        { sku: 'B', options: { Size: 'S', Color: 'Black' }, priceCents: 1 },
      ],
      /repeats the option values/,
    ],
    [
      [
        { sku: 'A', options: { Color: 'Black', Size: 'S' }, priceCents: 1 },
        { sku: 'A', options: { Color: 'White', Size: 'S' }, priceCents: 1 },
      ],
      /appears twice/,
    ],
  ])('refuses %j', (skus, message) => {
    expect(() => checkSkus(options, skus)).toThrow(message)
  })

  it('escapes LIKE wildcards in searches', () => {
    expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%')
  })

  it('round-trips a cursor and refuses a forged one', () => {
    const cursor = { name: 'tee', id: '01234567-89ab-cdef-0123-456789abcdef' }
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor)
    expect(() => decodeCursor('not-a-cursor')).toThrow(/paging cursor/)
    expect(() => decodeCursor(Buffer.from('["x","1; DROP TABLE"]').toString('base64url'))).toThrow(
      /paging cursor/,
    )
  })
})
