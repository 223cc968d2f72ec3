import { describe, expect, it } from 'vitest'
import { LeastOutstandingBalancer, RoundRobinBalancer } from './balancer.js'
import { Endpoint } from './endpoint.js'

const endpoints = ['a', 'b', 'c'].map(
  (id, i) => new Endpoint(id, `http://127.0.0.1:${i + 1}`, { connections: 1, keepAliveTimeoutMs: 1_000 }),
)
const all = () => true

describe('balancers', () => {
  it('round-robin takes each endpoint in turn and skips ineligible ones', () => {
    const balancer = new RoundRobinBalancer()
    expect(Array.from({ length: 6 }, () => balancer.pick(endpoints, all)?.id)).toEqual([
      'a',
      'b',
      'c',
      'a',
      'b',
      'c',
    ])
    const notB = (e: Endpoint) => e.id !== 'b'
    expect(Array.from({ length: 4 }, () => balancer.pick(endpoints, notB)?.id)).toEqual(['a', 'c', 'a', 'c'])
    expect(balancer.pick(endpoints, () => false)).toBeUndefined()
    expect(balancer.pick([], all)).toBeUndefined()
  })

  it('least-outstanding prefers the endpoint with the fewest requests in flight', () => {
    const balancer = new LeastOutstandingBalancer()
    endpoints[0]!.outstanding = 5
    endpoints[1]!.outstanding = 1
    endpoints[2]!.outstanding = 3
    expect(balancer.pick(endpoints, all)?.id).toBe('b')
    expect(balancer.pick(endpoints, (e) => e.id !== 'b')?.id).toBe('c')
    for (const e of endpoints) e.outstanding = 0
    // Ties rotate.
    expect(new Set(Array.from({ length: 3 }, () => balancer.pick(endpoints, all)?.id)).size).toBe(3)
  })
})
