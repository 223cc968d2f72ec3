import type { AuthPolicy } from '../auth/identity.js'

/** What an instance tells the registry about itself. */
export interface Registration {
  service: string
  id: string
  host: string
  port: number
  version: string
  metadata: InstanceMetadata
}

export interface InstanceMetadata {
  /** The routes the instance serves, with their access; the gateway forwards only public ones. */
  routes?: RouteInfo[]
  pid?: number
  startedAt?: string
  [key: string]: unknown
}

export interface RouteInfo {
  method: string
  url: string
  access: 'public' | 'internal'
  /** Who may call it; the gateway enforces it. Absent (an older instance): signed-in callers only. */
  auth?: AuthPolicy
}

/** What the registry says about an instance. */
export interface InstanceRecord extends Registration {
  status: 'UP'
  url: string
  registeredAt: string
  lastHeartbeatAt: string
}

export interface Lease {
  ttlMs: number
  heartbeatIntervalMs: number
}

export interface CatalogSnapshot {
  /**
   * Identifies one run of the registry. Its index starts again at 1 after a
   * restart, so an index alone could collide with one a watcher already holds.
   */
  epoch: string
  /** Grows by one with every change; a watcher passes it back (with the epoch) to wait for the next. */
  index: number
  services: Record<string, InstanceRecord[]>
  /**
   * True for one lease period after the registry started: instances are still
   * coming back, so a watcher keeps the ones it knew that are not listed yet.
   */
  warmingUp?: boolean
}
