import type { InstanceStatus } from './instance-spec.js'

/**
 * The reconcile decision for one instance, as a pure function of desired
 * and observed state: what to do now. The reconciler applies the steps and
 * writes the status; nothing here performs I/O, so every branch is
 * unit-tested with plain objects.
 */
export interface RestartPolicy {
  /** First wait after a crash; doubles with each recent crash. */
  backoffBaseMs: number
  backoffMaxMs: number
  /** This many crashes within the window is a crash loop. */
  crashLoopThreshold: number
  crashWindowMs: number
  /** Consecutive failed liveness probes before the instance is restarted. */
  liveFailureThreshold: number
  /** A process that has not reported its port by then is restarted. */
  startTimeoutMs: number
}

export const DEFAULT_POLICY: RestartPolicy = {
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  crashLoopThreshold: 5,
  crashWindowMs: 120_000,
  liveFailureThreshold: 3,
  startTimeoutMs: 90_000,
}

/** Exit code of a configuration or migration error: a restart cannot fix it. */
export const EXIT_CONFIG = 78

export interface ProcessView {
  running: boolean
  exit?: { code: number | null; signal: string | null; at: number }
  startedAt: number
  port?: number
}

export type Step =
  | { kind: 'start' }
  /** `unhealthy`: the stop counts as a crash (its restart backs off). */
  | { kind: 'stop'; reason: string; unhealthy: boolean }
  | { kind: 'record-exit'; crashed: boolean; configError: boolean }
  | { kind: 'deregister' }
  | { kind: 'wait'; untilMs: number }

export interface PlanInput {
  desired: boolean
  process: ProcessView | undefined
  /** The process object has exited and its exit is not recorded yet. */
  exitUnrecorded: boolean
  status: InstanceStatus
  now: number
  policy: RestartPolicy
}

export function plan(input: PlanInput): Step[] {
  const { desired, process: proc, status, now, policy } = input
  const steps: Step[] = []

  if (proc && !proc.running && input.exitUnrecorded) {
    const exit = proc.exit!
    const crashed = !status.stopRequested
    steps.push({ kind: 'deregister' })
    steps.push({ kind: 'record-exit', crashed, configError: crashed && exit.code === EXIT_CONFIG })
    // The recorded exit changes the status; the next pass decides the restart.
    return steps
  }

  if (!desired) {
    return proc?.running && status.phase !== 'stopping'
      ? [{ kind: 'stop', reason: 'no longer desired', unhealthy: false }]
      : []
  }

  if (!proc?.running) {
    if (status.phase === 'failed') return []
    if (status.nextStartAt !== undefined && now < status.nextStartAt)
      return [{ kind: 'wait', untilMs: status.nextStartAt }]
    return [{ kind: 'start' }]
  }

  if (status.phase === 'stopping') return []
  if (proc.port === undefined && now - proc.startedAt > policy.startTimeoutMs) {
    return [
      { kind: 'stop', reason: `did not start listening within ${policy.startTimeoutMs} ms`, unhealthy: true },
    ]
  }
  if (status.liveFailures >= policy.liveFailureThreshold) {
    return [
      {
        kind: 'stop',
        reason: `liveness probe failed ${status.liveFailures} times in a row`,
        unhealthy: true,
      },
    ]
  }
  return steps
}

/** Wait before the next start, given the crashes within the window (0 for a requested stop). */
export function backoffMs(recentCrashes: number, policy: RestartPolicy): number {
  if (recentCrashes <= 0) return 0
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (recentCrashes - 1))
}

/** The status after an exit: restart count, crash history, phase and when to start again. */
export function afterExit(
  status: InstanceStatus,
  exit: { code: number | null; signal: string | null; at: number },
  crashed: boolean,
  configError: boolean,
  policy: RestartPolicy,
): InstanceStatus {
  const crashes = crashed
    ? [...status.crashes.filter((t) => exit.at - t < policy.crashWindowMs), exit.at]
    : status.crashes
  const base = {
    ...status,
    live: false,
    ready: false,
    liveFailures: 0,
    lastExit: exit,
    crashes,
    stopRequested: false,
  }
  delete base.pid
  delete base.port
  if (configError) {
    return {
      ...base,
      phase: 'failed',
      message: `configuration error (exit ${EXIT_CONFIG}); fix it, then restart the instance`,
    }
  }
  const wait = crashed ? backoffMs(crashes.length, policy) : 0
  const loop = crashes.length >= policy.crashLoopThreshold
  return {
    ...base,
    restarts: status.restarts + (crashed ? 1 : 0),
    phase: crashed ? (loop ? 'crash-loop' : 'backoff') : 'stopped',
    nextStartAt: exit.at + wait,
    ...(crashed ? { message: describeExit(exit) } : {}),
  }
}

export function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`
}
