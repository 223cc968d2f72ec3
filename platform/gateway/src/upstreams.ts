import { Pool } from 'undici'

const DEFAULTS = {
  connections: 128,
  // Shorter than the services' keep-alive (72 s), so the gateway never sends on a socket the service is closing.
  keepAliveTimeoutMs: 10_000,
}

/** One keep-alive connection pool per upstream instance, closed when the instance leaves. */
export class Upstreams {
  private readonly pools = new Map<string, Pool>()

  constructor(private readonly connections = DEFAULTS.connections) {}

  pool(origin: string): Pool {
    let pool = this.pools.get(origin)
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.connections,
        keepAliveTimeout: DEFAULTS.keepAliveTimeoutMs,
        keepAliveMaxTimeout: DEFAULTS.keepAliveTimeoutMs,
      })
      this.pools.set(origin, pool)
    }
    return pool
  }

  /** Closes pools of origins not in `live`; in-flight requests on them finish first. */
  retain(live: Set<string>): void {
    for (const [origin, pool] of this.pools) {
      if (live.has(origin)) continue
      this.pools.delete(origin)
      void pool.close().catch(() => undefined)
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)))
  }
}
