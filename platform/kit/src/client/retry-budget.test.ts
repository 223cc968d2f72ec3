import { describe, expect, it } from 'vitest'
import { RetryBudget } from './retry-budget.js'

describe('RetryBudget', () => {
  it('allows retries up to the ratio of calls made, plus the per-second reserve', () => {
    let now = 0
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 2 }, () => now)
    for (let i = 0; i < 100; i++) budget.deposit()
    let allowed = 0
    while (budget.tryWithdraw()) allowed++
    // 2 in reserve + 100 calls × 0.2.
    expect(allowed).toBe(22)
    expect(budget.tryWithdraw()).toBe(false)
    now += 1_000
    expect(budget.tryWithdraw()).toBe(true)
    expect(budget.tryWithdraw()).toBe(true)
    expect(budget.tryWithdraw()).toBe(false)
  })

  it('caps what a long quiet spell can save up', () => {
    let now = 0
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 5 }, () => now)
    now += 3_600_000
    expect(budget.available).toBe(5)
  })

  it('allows no retry at all with a zero budget', () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0 }, () => 0)
    for (let i = 0; i < 10; i++) budget.deposit()
    // The first token: a client may always retry once.
    expect(budget.tryWithdraw()).toBe(true)
    expect(budget.tryWithdraw()).toBe(false)
  })
})
