import type { RegistryClient } from '@trellis/kit/platform'
import type { LogPrinter } from '../log/log-printer.js'
import { type ExitInfo, type LogStream, ManagedProcess } from '../process/managed-process.js'
import { type InstanceSpec, type InstanceStatus, initialStatus } from './instance-spec.js'
import { afterExit, DEFAULT_POLICY, plan, type RestartPolicy, type Step } from './plan.js'
import { probe } from './prober.js'

export interface ReconcilerDeps {
  /** Desired instances, re-read on every pass (scale changes land here). */
  desired: () => InstanceSpec[]
  registry: RegistryClient
  printer: LogPrinter
  /** Every line an instance writes (the log collector taps in here). */
  onLine?: (key: string, stream: LogStream, line: string) => void
  policy?: Partial<RestartPolicy>
  /** Time between passes; an exit wakes the loop at once. */
  intervalMs?: number
  /** Grace between SIGTERM and SIGKILL. */
  stopGraceMs?: number
}

const DEFAULTS = {
  intervalMs: 1_000,
  // While any instance is still starting, look again soon: readiness is noticed within this.
  convergingIntervalMs: 100,
  // The kit drains for up to 10 s; give it that plus a margin before SIGKILL.
  stopGraceMs: 12_000,
}

/**
 * The control loop, written like a Kubernetes controller: each pass reads
 * desired and observed state for every key, plans (pure), applies the steps,
 * and writes status. It never acts on an event's payload: a process exit only
 * wakes the loop early, and the next pass sees the exit in observed state.
 */
export class Reconciler {
  private readonly processes = new Map<string, ManagedProcess>()
  private readonly recorded = new WeakSet<ManagedProcess>()
  private readonly statuses = new Map<string, InstanceStatus>()
  private readonly policy: RestartPolicy
  private timer: NodeJS.Timeout | undefined
  private running = false
  private passing: Promise<void> | undefined
  private again = false
  private readonly announcedLoop = new Set<string>()

  constructor(private readonly deps: ReconcilerDeps) {
    this.policy = { ...DEFAULT_POLICY, ...deps.policy }
  }

  start(): void {
    this.running = true
    this.wake()
  }

  status(): InstanceStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }))
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (!this.running) return
    if (this.passing) {
      this.again = true
      return
    }
    clearTimeout(this.timer)
    this.passing = this.pass()
      .catch((error) =>
        this.deps.printer.system(`reconcile pass failed: ${(error as Error).message}`, 'error'),
      )
      .finally(() => {
        this.passing = undefined
        if (!this.running) return
        if (this.again) {
          this.again = false
          this.wake()
        } else {
          const converging = [...this.statuses.values()].some(
            (s) => s.phase === 'starting' || s.phase === 'stopping',
          )
          const interval = converging
            ? DEFAULTS.convergingIntervalMs
            : (this.deps.intervalMs ?? DEFAULTS.intervalMs)
          this.timer = setTimeout(() => this.wake(), interval)
        }
      })
  }

  /** Restarts one instance now (also clears a `failed` state). */
  async restart(key: string): Promise<boolean> {
    const status = this.statuses.get(key)
    if (!status) return false
    status.nextStartAt = undefined
    if (status.phase === 'failed') status.phase = 'stopped'
    const proc = this.processes.get(key)
    if (proc?.running) await this.stopOne(key, 'restart requested')
    this.wake()
    return true
  }

  /** SIGKILLs an instance (used by tests and chaos drills through the control API). */
  kill(key: string): boolean {
    const proc = this.processes.get(key)
    if (!proc?.running) return false
    proc.kill()
    return true
  }

  /** Stops the loop, then every instance: highest tier first, each tier in parallel. */
  async shutdown(): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    await this.passing
    const tiers = [...new Set(this.deps.desired().map((s) => s.tier))].sort((a, b) => b - a)
    const tierOf = new Map(this.deps.desired().map((s) => [s.key, s.tier]))
    for (const tier of tiers) {
      const keys = [...this.processes.keys()].filter((k) => (tierOf.get(k) ?? 2) === tier)
      await Promise.all(keys.map((k) => this.stopOne(k, 'system shutdown')))
    }
    // Anything left over (scaled-down keys and the like).
    await Promise.all([...this.processes.keys()].map((k) => this.stopOne(k, 'system shutdown')))
  }

  /** Pids of every live process the loop owns (for orphan checks). */
  pids(): number[] {
    return [...this.processes.values()].filter((p) => p.running && p.pid).map((p) => p.pid!)
  }

  private async pass(): Promise<void> {
    const specs = new Map(this.deps.desired().map((s) => [s.key, s]))
    const keys = new Set([...specs.keys(), ...this.processes.keys()])
    await this.probeAll()
    for (const key of keys) {
      if (!this.running) return
      await this.reconcile(key, specs.get(key))
    }
    for (const key of this.statuses.keys()) {
      if (!specs.has(key) && !this.processes.get(key)?.running) this.statuses.delete(key)
    }
  }

  private async reconcile(key: string, spec: InstanceSpec | undefined): Promise<void> {
    const proc = this.processes.get(key)
    let status = this.statuses.get(key)
    if (!status) {
      if (!spec) return
      status = initialStatus(spec)
      this.statuses.set(key, status)
    }
    const steps = plan({
      desired: spec !== undefined,
      process: proc && {
        running: proc.running,
        startedAt: proc.startedAt,
        ...(proc.exit ? { exit: proc.exit } : {}),
        ...(proc.port === undefined ? {} : { port: proc.port }),
      },
      exitUnrecorded: proc !== undefined && !proc.running && !this.recorded.has(proc),
      status,
      now: Date.now(),
      policy: this.policy,
    })
    for (const step of steps) await this.apply(key, spec, step)
  }

  private async apply(key: string, spec: InstanceSpec | undefined, step: Step): Promise<void> {
    const status = this.statuses.get(key)!
    const proc = this.processes.get(key)
    switch (step.kind) {
      case 'start': {
        if (!spec) return
        const started = new ManagedProcess(
          spec.launch,
          (k, stream, line) => {
            this.deps.printer.instance(k, stream, line)
            this.deps.onLine?.(k, stream, line)
          },
          () => this.wake(),
          () => this.wake(),
        )
        this.processes.set(key, started)
        Object.assign(status, {
          phase: 'starting',
          pid: started.pid,
          startedAt: started.startedAt,
          live: false,
          ready: false,
          liveFailures: 0,
        })
        delete status.readyAt
        delete status.port
        if (status.restarts > 0) this.deps.printer.system(`${key} restarting (restart #${status.restarts})`)
        return
      }
      case 'stop':
        this.deps.printer.system(`${key} stopping: ${step.reason}`, step.unhealthy ? 'warn' : 'info')
        status.stopRequested = !step.unhealthy
        status.phase = 'stopping'
        status.message = step.reason
        // Not awaited: the exit wakes the loop, which records it on the next pass.
        void proc?.stop(this.deps.stopGraceMs ?? DEFAULTS.stopGraceMs)
        return
      case 'deregister':
        // The registry would drop the instance when its lease expires (~3 s);
        // we saw it die, so remove it now and traffic stops at once.
        if (spec?.kind !== 'registry') {
          await this.deps.registry.deregister(spec?.service ?? status.service, key).catch(() => undefined)
        }
        return
      case 'record-exit': {
        if (!proc?.exit) return
        this.recorded.add(proc)
        const next = afterExit(status, proc.exit, step.crashed, step.configError, this.policy)
        this.statuses.set(key, next)
        if (step.crashed) this.announceCrash(key, next)
        return
      }
      case 'wait':
        return
    }
  }

  private announceCrash(key: string, status: InstanceStatus): void {
    const wait = Math.max(0, (status.nextStartAt ?? Date.now()) - Date.now())
    if (status.phase === 'failed') {
      this.deps.printer.system(
        `${key} failed: ${status.message}. Run \`npm run trellis -- restart ${key}\` once fixed.`,
        'error',
      )
      return
    }
    this.deps.printer.system(`${key} ${status.message}; restarting in ${(wait / 1000).toFixed(1)} s`, 'warn')
    if (status.phase === 'crash-loop' && !this.announcedLoop.has(key)) {
      this.announcedLoop.add(key)
      this.deps.printer.system(
        `${key} is crash-looping: ${status.crashes.length} crashes within ${this.policy.crashWindowMs / 1000} s. Its last log lines above say why.`,
        'error',
      )
    }
    if (status.phase !== 'crash-loop') this.announcedLoop.delete(key)
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      [...this.processes].map(async ([key, proc]) => {
        const status = this.statuses.get(key)
        if (!status || !proc.running || proc.port === undefined) return
        status.port = proc.port
        const result = await probe(proc.port)
        if (!proc.running) return
        status.live = result.live
        status.liveFailures = result.live ? 0 : status.liveFailures + 1
        if (result.ready && !status.ready) {
          status.readyAt = Date.now()
          this.deps.printer.system(`${key} ready on port ${proc.port}`)
        }
        status.ready = result.ready
        if (
          status.phase === 'starting' ||
          status.phase === 'backoff' ||
          status.phase === 'crash-loop' ||
          status.phase === 'stopped'
        ) {
          if (result.ready) status.phase = 'running'
        }
        if (status.phase === 'running' && result.ready) delete status.message
      }),
    )
  }

  private async stopOne(key: string, reason: string): Promise<void> {
    const proc = this.processes.get(key)
    const status = this.statuses.get(key)
    if (!proc?.running) return
    if (status) {
      status.stopRequested = true
      status.phase = 'stopping'
      status.message = reason
    }
    await proc.stop(this.deps.stopGraceMs ?? DEFAULTS.stopGraceMs)
  }
}

export type { ExitInfo }
