import { randomUUID } from 'node:crypto'
import type { CatalogSnapshot, InstanceRecord, Lease, Registration } from '@trellis/kit/platform'

export interface LeaseTableOptions {
  ttlMs: number
  heartbeatIntervalMs: number
  now?: () => number
}

export type Change = { kind: 'registered' | 'updated' | 'deregistered' | 'expired'; instance: InstanceRecord }

/**
 * The registry's state: instances by service, each held by a lease that a
 * heartbeat renews. Pure apart from the clock it is given, so expiry is
 * unit-tested without waiting. Every change moves `index` forward by one.
 */
export class LeaseTable {
  private readonly services = new Map<string, Map<string, InstanceRecord & { expiresAt: number }>>()
  private readonly listeners = new Set<(change: Change | undefined) => void>()
  private readonly now: () => number
  private version = 1
  /** This run of the registry; see CatalogSnapshot.epoch. */
  readonly epoch = randomUUID()

  constructor(private readonly options: LeaseTableOptions) {
    this.now = options.now ?? Date.now
  }

  get index(): number {
    return this.version
  }

  get lease(): Lease {
    return { ttlMs: this.options.ttlMs, heartbeatIntervalMs: this.options.heartbeatIntervalMs }
  }

  /** Called on every index move: with the change, or undefined for a bare `touch`. */
  onChange(listener: (change: Change | undefined) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Adds or replaces an instance; an identical re-registration only renews its lease. */
  register(registration: Registration): { instance: InstanceRecord; created: boolean } {
    const now = this.now()
    let instances = this.services.get(registration.service)
    if (!instances) {
      instances = new Map()
      this.services.set(registration.service, instances)
    }
    const previous = instances.get(registration.id)
    const iso = new Date(now).toISOString()
    const host = registration.host.includes(':') ? `[${registration.host}]` : registration.host
    const instance: InstanceRecord & { expiresAt: number } = {
      ...registration,
      status: 'UP',
      url: `http://${host}:${registration.port}`,
      registeredAt: previous && sameEndpoint(previous, registration) ? previous.registeredAt : iso,
      lastHeartbeatAt: iso,
      expiresAt: now + this.options.ttlMs,
    }
    instances.set(registration.id, instance)
    if (
      previous &&
      sameEndpoint(previous, registration) &&
      sameJson(previous.metadata, registration.metadata)
    ) {
      return { instance: strip(instance), created: false }
    }
    this.changed({ kind: previous ? 'updated' : 'registered', instance: strip(instance) })
    return { instance: strip(instance), created: !previous }
  }

  /** Renews a lease; false when the instance is unknown (never registered, expired, or the registry restarted). */
  heartbeat(service: string, id: string): boolean {
    const instance = this.services.get(service)?.get(id)
    if (!instance) return false
    const now = this.now()
    instance.expiresAt = now + this.options.ttlMs
    instance.lastHeartbeatAt = new Date(now).toISOString()
    return true
  }

  deregister(service: string, id: string): boolean {
    const instance = this.remove(service, id)
    if (instance) this.changed({ kind: 'deregistered', instance })
    return instance !== undefined
  }

  /** Drops every instance whose lease ran out; returns them. */
  expire(): InstanceRecord[] {
    const now = this.now()
    const expired: InstanceRecord[] = []
    for (const [service, instances] of this.services) {
      for (const [id, instance] of instances) {
        if (instance.expiresAt <= now) {
          this.remove(service, id)
          expired.push(strip(instance))
        }
      }
    }
    for (const instance of expired) this.changed({ kind: 'expired', instance })
    return expired
  }

  instances(service: string): InstanceRecord[] {
    return [...(this.services.get(service)?.values() ?? [])].map(strip).sort(byId)
  }

  snapshot(warmingUp = false): CatalogSnapshot {
    const services: Record<string, InstanceRecord[]> = {}
    for (const name of [...this.services.keys()].sort()) services[name] = this.instances(name)
    return { epoch: this.epoch, index: this.version, services, ...(warmingUp ? { warmingUp } : {}) }
  }

  /** Moves the index without a change of instances (the end of the warm-up, say), waking watchers. */
  touch(): void {
    this.version += 1
    for (const listener of this.listeners) listener(undefined)
  }

  private remove(service: string, id: string): InstanceRecord | undefined {
    const instances = this.services.get(service)
    const instance = instances?.get(id)
    if (!instances || !instance) return undefined
    instances.delete(id)
    if (instances.size === 0) this.services.delete(service)
    return strip(instance)
  }

  private changed(change: Change): void {
    this.version += 1
    for (const listener of this.listeners) listener(change)
  }
}

function strip(instance: InstanceRecord & { expiresAt?: number }): InstanceRecord {
  const { expiresAt: _expiresAt, ...record } = instance
  return record
}

function sameEndpoint(a: Registration, b: Registration): boolean {
  return a.host === b.host && a.port === b.port && a.version === b.version
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function byId(a: InstanceRecord, b: InstanceRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
