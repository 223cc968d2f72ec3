import type { InstanceRecord } from '@trellis/kit/platform'

/** Round-robin over a service's instances, one counter a service. */
export class RoundRobinBalancer {
  private readonly counters = new Map<string, number>()

  pick(service: string, instances: InstanceRecord[], exclude?: string): InstanceRecord | undefined {
    const candidates = exclude === undefined ? instances : instances.filter((i) => i.id !== exclude)
    if (candidates.length === 0) return undefined
    const n = this.counters.get(service) ?? 0
    this.counters.set(service, (n + 1) % 1_000_000_007)
    return candidates[n % candidates.length]
  }
}
