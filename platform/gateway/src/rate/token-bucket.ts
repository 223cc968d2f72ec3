export interface BucketLimit {
  /** Requests per second, sustained. */
  ratePerS: number
  /** Requests allowed at once after a quiet period. */
  burst: number
}

const DEFAULTS = {
  // Memory bound: beyond this many clients the least recently refilled bucket is dropped (it was full anyway, or nearly).
  maxBuckets: 100_000,
}

/**
 * Token buckets by key (an IP, a user, an API key): each request takes a
 * token; tokens come back at `ratePerS` up to `burst`. Answers how long to
 * wait when the bucket is empty, for `Retry-After`.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly limit: BucketLimit,
    private readonly maxBuckets = DEFAULTS.maxBuckets,
  ) {}

  /** 0 when the request may go ahead; otherwise the seconds until a token is back. */
  take(key: string, now = performance.now()): number {
    let bucket = this.buckets.get(key)
    if (bucket) {
      bucket.tokens = Math.min(
        this.limit.burst,
        bucket.tokens + ((now - bucket.at) / 1000) * this.limit.ratePerS,
      )
      bucket.at = now
      // Re-insert so that Map order is least recently used first.
      this.buckets.delete(key)
    } else {
      if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!)
      bucket = { tokens: this.limit.burst, at: now }
    }
    this.buckets.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.ratePerS))
  }

  get size(): number {
    return this.buckets.size
  }
}
