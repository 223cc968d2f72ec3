import type { LaunchSpec } from '../process/managed-process.js'

/** Desired state of one instance, derived from the topology (and scale requests). */
export interface InstanceSpec {
  key: string
  kind: 'registry' | 'config' | 'gateway' | 'console' | 'service'
  service: string
  /** Stop order, high to low: gateway 3, services 2, config server 1, registry and console 0 (everything starts at once). */
  tier: number
  launch: LaunchSpec
}

export type Phase =
  | 'starting' // spawned, not ready yet
  | 'running' // ready (or live, if it never became ready)
  | 'backoff' // exited; waiting before the next start
  | 'crash-loop' // exited too often recently; still restarted, with longer waits
  | 'failed' // exited with a configuration error; not restarted until asked
  | 'stopping'
  | 'stopped'

/** Observed state of one instance; only the reconciler writes it. */
export interface InstanceStatus {
  key: string
  service: string
  kind: InstanceSpec['kind']
  phase: Phase
  pid?: number
  port?: number
  live: boolean
  ready: boolean
  restarts: number
  /** Times of recent unexpected exits, for backoff and crash-loop detection. */
  crashes: number[]
  liveFailures: number
  startedAt?: number
  readyAt?: number
  nextStartAt?: number
  lastExit?: { code: number | null; signal: string | null; at: number }
  message?: string
  /** The last exit was asked for (stop, restart, scale down), not a crash. */
  stopRequested: boolean
}

export function initialStatus(spec: InstanceSpec): InstanceStatus {
  return {
    key: spec.key,
    service: spec.service,
    kind: spec.kind,
    phase: 'starting',
    live: false,
    ready: false,
    restarts: 0,
    crashes: [],
    liveFailures: 0,
    stopRequested: false,
  }
}
