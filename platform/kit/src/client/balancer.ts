import type { Endpoint } from './endpoint.js'

/** Chooses one endpoint among those `eligible` accepts; undefined when none is. */
export interface Balancer {
  pick(endpoints: readonly Endpoint[], eligible: (endpoint: Endpoint) => boolean): Endpoint | undefined
}

export type BalancerName = 'round-robin' | 'least-outstanding'

/** Each in turn: the default, fair when instances are alike. */
export class RoundRobinBalancer implements Balancer {
  private next = 0

  pick(endpoints: readonly Endpoint[], eligible: (endpoint: Endpoint) => boolean): Endpoint | undefined {
    const n = endpoints.length
    for (let i = 0; i < n; i++) {
      const endpoint = endpoints[(this.next + i) % n]!
      if (eligible(endpoint)) {
        this.next = (this.next + i + 1) % 1_000_000_007
        return endpoint
      }
    }
    return undefined
  }
}

/**
 * The endpoint with the fewest requests in flight; ties go round-robin. A
 * slow instance accumulates outstanding requests and so gets fewer new ones.
 */
export class LeastOutstandingBalancer implements Balancer {
  private next = 0

  pick(endpoints: readonly Endpoint[], eligible: (endpoint: Endpoint) => boolean): Endpoint | undefined {
    const n = endpoints.length
    let best: Endpoint | undefined
    for (let i = 0; i < n; i++) {
      const endpoint = endpoints[(this.next + i) % n]!
      if (!eligible(endpoint)) continue
      if (!best || endpoint.outstanding < best.outstanding) best = endpoint
    }
    this.next = (this.next + 1) % 1_000_000_007
    return best
  }
}

export function createBalancer(name: BalancerName): Balancer {
  return name === 'least-outstanding' ? new LeastOutstandingBalancer() : new RoundRobinBalancer()
}
