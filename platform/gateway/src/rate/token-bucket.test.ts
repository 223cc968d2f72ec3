import { describe, expect, it } from 'vitest'
import { TokenBuckets } from './token-bucket.js'

describe('TokenBuckets', () => {
  it('allows a burst, then one request per refill, and says how long to wait', () => {
    const buckets = new TokenBuckets({ ratePerS: 2, burst: 3 })
    expect([0, 1, 2].map(() => buckets.take('a', 0))).toEqual([0, 0, 0])
    expect(buckets.take('a', 0)).toBe(1)
    expect(buckets.take('a', 500)).toBe(0) // half a second brings one token back
    expect(buckets.take('a', 500)).toBe(1)
    expect(buckets.take('b', 500)).toBe(0) // every key has its own bucket
  })

  it('rounds a long wait up to whole seconds', () => {
    const slow = new TokenBuckets({ ratePerS: 0.1, burst: 1 })
    slow.take('a', 0)
    expect(slow.take('a', 0)).toBe(10)
  })

  it('keeps at most maxBuckets keys, dropping the least recently used', () => {
    const buckets = new TokenBuckets({ ratePerS: 1, burst: 1 }, 2)
    buckets.take('a', 0)
    buckets.take('b', 0)
    buckets.take('a', 0)
    buckets.take('c', 0)
    expect(buckets.size).toBe(2)
    // 'b' was dropped, so it starts with a full bucket again; 'a' is still empty.
    expect(buckets.take('b', 0)).toBe(0)
  })
})
