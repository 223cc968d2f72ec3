import { EventEmitter } from 'node:events'
import type { Logger } from '../log/logger.js'
import type { CatalogSnapshot, InstanceRecord } from './instance.js'
import type { RegistryClient } from './registry-client.js'

const DEFAULTS = {
  // The registry holds a watch open this long when nothing changes.
  waitMs: 30_000,
  retryMinMs: 100,
  retryMaxMs: 2_000,
}

/**
 * A local, always-fresh copy of the registry's catalogue, kept by a blocking
 * query (long poll): the registry answers as soon as anything changes, so a
 * reader never asks the registry per request. When the registry is down the
 * last known catalogue stays in use, which is the safer choice for routing.
 */
export class ServiceDirectory extends EventEmitter<{ change: [CatalogSnapshot] }> {
  private snapshot: CatalogSnapshot = { epoch: '', index: 0, services: {} }
  private hasSynced = false
  private running = false
  private abort: AbortController | undefined
  private readonly firstSync: Promise<void>
  private resolveFirstSync!: () => void

  constructor(
    private readonly client: RegistryClient,
    private readonly log?: Logger,
    private readonly waitMs = DEFAULTS.waitMs,
  ) {
    super()
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve
    })
  }

  get synced(): boolean {
    return this.hasSynced
  }

  get index(): number {
    return this.snapshot.index
  }

  get epoch(): string {
    return this.snapshot.epoch
  }

  instances(service: string): InstanceRecord[] {
    return this.snapshot.services[service] ?? []
  }

  services(): Record<string, InstanceRecord[]> {
    return this.snapshot.services
  }

  /** Resolves after the first successful read of the catalogue. */
  whenSynced(): Promise<void> {
    return this.firstSync
  }

  start(): void {
    if (this.running) return
    this.running = true
    void this.loop()
  }

  stop(): void {
    this.running = false
    this.abort?.abort()
  }

  private async loop(): Promise<void> {
    let retryMs = DEFAULTS.retryMinMs
    let failing = false
    while (this.running) {
      this.abort = new AbortController()
      try {
        const next = await this.client.catalog(
          this.hasSynced ? { epoch: this.snapshot.epoch, index: this.snapshot.index } : undefined,
          this.waitMs,
          this.abort.signal,
        )
        if (failing) this.log?.info('registry reachable again')
        failing = false
        retryMs = DEFAULTS.retryMinMs
        // A restarted registry counts again from 1: another epoch is news whatever its index.
        if (!this.hasSynced || next.epoch !== this.snapshot.epoch || next.index !== this.snapshot.index)
          this.apply(next)
      } catch (error) {
        if (!this.running) return
        if (!failing)
          this.log?.warn(
            { reason: (error as Error).message },
            'registry watch failed; keeping the last catalogue',
          )
        failing = true
        await sleep(retryMs)
        retryMs = Math.min(retryMs * 2, DEFAULTS.retryMaxMs)
      }
    }
  }

  private apply(next: CatalogSnapshot): void {
    this.snapshot = next.warmingUp ? mergeKnown(next, this.snapshot) : next
    if (!this.hasSynced) {
      this.hasSynced = true
      this.resolveFirstSync()
    }
    this.emit('change', next)
  }
}

/** During a registry's warm-up, instances we knew stay until they re-register or the warm-up ends. */
function mergeKnown(next: CatalogSnapshot, known: CatalogSnapshot): CatalogSnapshot {
  const services: Record<string, InstanceRecord[]> = { ...next.services }
  for (const [name, instances] of Object.entries(known.services)) {
    const listed = new Set((services[name] ?? []).map((i) => i.id))
    const missing = instances.filter((i) => !listed.has(i.id))
    if (missing.length > 0) services[name] = [...(services[name] ?? []), ...missing]
  }
  return { ...next, services }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
