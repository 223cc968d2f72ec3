import type { Logger } from '../log/logger.js'
import type { Lease, Registration } from './instance.js'
import type { RegistryClient } from './registry-client.js'

const DEFAULTS = {
  // Until the registry tells us its lease, assume the documented default.
  heartbeatIntervalMs: 1_000,
  retryMinMs: 100,
  retryMaxMs: 2_000,
}

/**
 * Keeps one instance registered: registers (retrying until the registry
 * answers), heartbeats at the interval the registry asks for, registers again
 * when a heartbeat comes back "unknown" (the registry restarted and lost its
 * table), and deregisters on stop.
 */
export class RegistrationKeeper {
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private registeredOnce = false
  private lease: Lease | undefined
  private retryMs = DEFAULTS.retryMinMs
  private failing = false
  private readonly waiters: Array<() => void> = []

  private readonly registration: Omit<Registration, 'metadata'> & { metadata: () => Registration['metadata'] }

  /** `metadata` may be a function, read at every (re-)registration, so it can change while the instance runs. */
  constructor(
    private readonly client: RegistryClient,
    registration: Omit<Registration, 'metadata'> & {
      metadata: Registration['metadata'] | (() => Registration['metadata'])
    },
    private readonly log: Logger,
  ) {
    const { metadata } = registration
    this.registration = {
      ...registration,
      metadata: typeof metadata === 'function' ? metadata : () => metadata,
    }
  }

  /** Registers again now, so the registry (and its watchers) see changed metadata. */
  refresh(): void {
    if (this.stopped || !this.registeredOnce) return
    clearTimeout(this.timer)
    void this.tick('register')
  }

  get registered(): boolean {
    return this.registeredOnce && !this.stopped
  }

  start(): void {
    void this.tick('register')
  }

  /** Resolves once the first registration succeeded. */
  whenRegistered(): Promise<void> {
    if (this.registeredOnce) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Stops heartbeating and removes the instance from the registry (best effort, bounded). */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    if (!this.registeredOnce) return
    try {
      await this.client.deregister(this.registration.service, this.registration.id)
      this.log.info('deregistered')
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'deregister failed; the lease will expire')
    }
  }

  private async tick(action: 'register' | 'heartbeat'): Promise<void> {
    if (this.stopped) return
    let next: 'register' | 'heartbeat' = 'heartbeat'
    try {
      if (action === 'register') {
        this.lease = await this.client.register({
          ...this.registration,
          metadata: this.registration.metadata(),
        })
        this.log.info(
          { registry: this.client.url, port: this.registration.port, leaseMs: this.lease.ttlMs },
          this.registeredOnce ? 'registered again' : 'registered',
        )
        this.markRegistered()
      } else {
        const result = await this.client.heartbeat(this.registration.service, this.registration.id)
        if (result === 'unknown') {
          this.log.warn('the registry does not know this instance (it restarted?); registering again')
          next = 'register'
        } else {
          this.lease = result
        }
      }
      if (this.failing) this.log.info('registry reachable again')
      this.failing = false
      this.retryMs = DEFAULTS.retryMinMs
      this.schedule(next, next === 'register' ? 0 : this.interval())
    } catch (error) {
      if (!this.failing)
        this.log.warn({ reason: (error as Error).message }, `registry ${action} failed; retrying`)
      this.failing = true
      // A lost heartbeat is retried at the normal interval; a failed
      // registration backs off, capped so that recovery stays quick.
      const delay = action === 'register' ? this.retryMs : this.interval()
      this.retryMs = Math.min(this.retryMs * 2, DEFAULTS.retryMaxMs)
      this.schedule(action, delay)
    }
  }

  private interval(): number {
    return this.lease?.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs
  }

  private schedule(action: 'register' | 'heartbeat', delayMs: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.tick(action), delayMs)
    this.timer.unref()
  }

  private markRegistered(): void {
    if (this.registeredOnce) return
    this.registeredOnce = true
    for (const resolve of this.waiters.splice(0)) resolve()
  }
}
