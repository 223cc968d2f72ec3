export interface RetryBudgetOptions {
  /** Retries allowed per call made, on average (0.2: at most one retry for every five calls). */
  ratio: number
  /** Retries allowed per second whatever the traffic, so that a quiet client can still retry. */
  minPerSecond: number
}

/**
 * A token bucket shared by every call to one dependency (Finagle's retry
 * budget): each call deposits `ratio` tokens, a retry withdraws one, and
 * `minPerSecond` tokens trickle in. When a dependency fails for everyone,
 * retries stop at a fraction of the traffic instead of multiplying it.
 */
export class RetryBudget {
  private tokens: number
  private last: number
  private readonly cap: number

  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    // Enough for a burst of one second's reserve plus what ten seconds of ratio would bring.
    this.cap = Math.max(1, options.minPerSecond) + options.ratio * 100
    this.tokens = Math.max(1, options.minPerSecond)
    this.last = now()
  }

  /** Every call made (not retries) deposits its share. */
  deposit(): void {
    this.refill()
    this.tokens = Math.min(this.cap, this.tokens + this.options.ratio)
  }

  /** True (and one token spent) when a retry is allowed now. */
  tryWithdraw(): boolean {
    this.refill()
    // Tenths added up drift below whole numbers: allow for it.
    if (this.tokens < 1 - 1e-9) return false
    this.tokens -= 1
    return true
  }

  get available(): number {
    this.refill()
    return Math.floor(this.tokens)
  }

  private refill(): void {
    const now = this.now()
    const elapsed = now - this.last
    if (elapsed <= 0) return
    this.last = now
    this.tokens = Math.min(this.cap, this.tokens + (elapsed / 1000) * this.options.minPerSecond)
  }
}
