import { describe, expect, it } from 'vitest'
import { Endpoint } from './endpoint.js'
import { OutlierDetector } from './outlier-detector.js'

function setup(consecutiveFailures = 3) {
  let now = 0
  const events: string[] = []
  const detector = new OutlierDetector(
    { consecutiveFailures, baseEjectionMs: 1_000, maxEjectionMs: 3_000 },
    {
      ejected: (e, ms) => events.push(`ejected ${e.id} ${ms}`),
      returned: (e) => events.push(`returned ${e.id}`),
      recovered: (e) => events.push(`recovered ${e.id}`),
    },
    () => now,
  )
  const endpoint = new Endpoint('a', 'http://127.0.0.1:1', { connections: 1, keepAliveTimeoutMs: 1_000 })
  return { detector, endpoint, events, advance: (ms: number) => (now += ms) }
}

describe('OutlierDetector', () => {
  it('ejects after consecutive failures only; a success in between resets the count', () => {
    const { detector, endpoint, events } = setup()
    detector.failure(endpoint)
    detector.failure(endpoint)
    detector.success(endpoint)
    detector.failure(endpoint)
    detector.failure(endpoint)
    expect(detector.available(endpoint)).toBe(true)
    detector.failure(endpoint)
    expect(detector.available(endpoint)).toBe(false)
    expect(events).toEqual(['ejected a 1000'])
  })

  it('brings an ejected endpoint back on probation after the period, and one failure ejects it for twice as long', () => {
    const { detector, endpoint, events, advance } = setup()
    for (let i = 0; i < 3; i++) detector.failure(endpoint)
    advance(999)
    expect(detector.available(endpoint)).toBe(false)
    advance(1)
    expect(detector.available(endpoint)).toBe(true)
    expect(endpoint.probation).toBe(true)
    detector.failure(endpoint)
    expect(detector.available(endpoint)).toBe(false)
    advance(2_000)
    detector.available(endpoint)
    detector.failure(endpoint)
    // Capped at maxEjectionMs.
    expect(events).toEqual(['ejected a 1000', 'returned a', 'ejected a 2000', 'returned a', 'ejected a 3000'])
  })

  it('clears the record when an endpoint on probation answers', () => {
    const { detector, endpoint, events, advance } = setup()
    for (let i = 0; i < 3; i++) detector.failure(endpoint)
    advance(1_000)
    detector.available(endpoint)
    detector.success(endpoint)
    expect(endpoint.ejections).toBe(0)
    expect(endpoint.probation).toBe(false)
    expect(events.at(-1)).toBe('recovered a')
  })

  it('never ejects when turned off', () => {
    const { detector, endpoint } = setup(0)
    for (let i = 0; i < 100; i++) detector.failure(endpoint)
    expect(detector.available(endpoint)).toBe(true)
  })
})
