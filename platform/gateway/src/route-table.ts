import type { Topology } from '@trellis/kit/platform'

/** A service the topology exposes through the gateway. */
export interface ExposedService {
  service: string
  prefix: string
  rewrite: string
  timeoutMs: number
  /** Attempts after the first for bodiless idempotent requests; 1 when absent. */
  retries?: number
  /** The service's circuit breaker; failures 0 turns it off. Defaults when absent. */
  breaker?: { failures: number; halfOpenAfterMs: number }
}

export interface RouteMatch {
  exposed: ExposedService
  /** The path the upstream sees: the public prefix replaced by the rewrite. */
  upstreamPath: string
}

/**
 * Public path prefixes to logical service names, from trellis.yaml. The
 * longest prefix wins; a prefix matches itself and anything below it, never
 * a sibling that only shares its first letters (`/api/cat` ≠ `/api/catalog`).
 */
export class RouteTable {
  private readonly entries: ExposedService[]

  constructor(exposed: ExposedService[]) {
    this.entries = [...exposed].sort((a, b) => b.prefix.length - a.prefix.length)
  }

  static fromTopology(topology: Topology): RouteTable {
    return new RouteTable(
      topology.services.flatMap((s) => (s.expose ? [{ service: s.name, ...s.expose }] : [])),
    )
  }

  get services(): ExposedService[] {
    return this.entries
  }

  match(path: string): RouteMatch | undefined {
    for (const exposed of this.entries) {
      if (path === exposed.prefix || path.startsWith(`${exposed.prefix}/`)) {
        return { exposed, upstreamPath: join(exposed.rewrite, path.slice(exposed.prefix.length)) }
      }
    }
    return undefined
  }
}

function join(rewrite: string, rest: string): string {
  if (rest === '' || rest === '/') return rest === '/' && !rewrite.endsWith('/') ? `${rewrite}/` : rewrite
  return (rewrite.endsWith('/') ? rewrite.slice(0, -1) : rewrite) + rest
}
