import type { Logger } from '../log/logger.js'
import { type Balancer, type BalancerName, createBalancer } from './balancer.js'
import type { ClientMetrics } from './client-metrics.js'
import { Endpoint } from './endpoint.js'
import type { InstanceSource } from './instance-source.js'
import { OutlierDetector, type OutlierOptions } from './outlier-detector.js'

export interface EndpointSetOptions {
  connections: number
  balancer: BalancerName
  outlier: OutlierOptions
  log?: Logger
  metrics: ClientMetrics
}

const DEFAULTS = {
  // Shorter than the services' keep-alive (72 s), so we never send on a socket the callee is closing.
  keepAliveTimeoutMs: 10_000,
}

/**
 * The instances of one dependency as one client sees them: one keep-alive
 * pool each (closed when the instance leaves the registry), a balancer, and
 * outlier ejection. Kept in step with its source by change notifications,
 * never by asking per request.
 */
export class EndpointSet {
  private endpoints: Endpoint[] = []
  private readonly balancer: Balancer
  readonly outliers: OutlierDetector
  private readonly unsubscribe: () => void
  private readonly isAvailable: (endpoint: Endpoint) => boolean

  constructor(
    readonly dependency: string,
    private readonly source: InstanceSource,
    private readonly options: EndpointSetOptions,
  ) {
    this.balancer = createBalancer(options.balancer)
    const { log, metrics } = options
    this.outliers = new OutlierDetector(options.outlier, {
      ejected: (endpoint, forMs) => {
        metrics.ejections.labels(dependency, endpoint.id).inc()
        metrics.ejected.labels(dependency, endpoint.id).set(1)
        log?.warn(
          {
            dependency,
            instance: endpoint.id,
            url: endpoint.url,
            forMs,
            failures: endpoint.consecutiveFailures,
          },
          `instance ${endpoint.id} of ${dependency} ejected for ${forMs} ms`,
        )
      },
      returned: (endpoint) => {
        metrics.ejected.labels(dependency, endpoint.id).set(0)
        log?.info(
          { dependency, instance: endpoint.id },
          `instance ${endpoint.id} of ${dependency} back on probation`,
        )
      },
      recovered: (endpoint) =>
        log?.info(
          { dependency, instance: endpoint.id },
          `instance ${endpoint.id} of ${dependency} recovered`,
        ),
    })
    this.isAvailable = (endpoint) => this.outliers.available(endpoint)
    this.sync()
    this.unsubscribe = source.subscribe(() => this.sync())
  }

  get size(): number {
    return this.endpoints.length
  }

  list(): readonly Endpoint[] {
    return this.endpoints
  }

  /**
   * An endpoint for the next attempt, skipping ejected ones and, when it can,
   * `avoid` (the one that just failed). When every endpoint is ejected it
   * picks among all of them (Envoy's panic mode): the breaker, not an empty
   * rotation, decides when a dependency is down.
   */
  pick(avoid?: Endpoint): Endpoint | undefined {
    const endpoints = this.endpoints
    if (endpoints.length === 0) return undefined
    if (avoid === undefined) {
      return this.balancer.pick(endpoints, this.isAvailable) ?? this.balancer.pick(endpoints, always)
    }
    return (
      this.balancer.pick(endpoints, (e) => e !== avoid && this.isAvailable(e)) ??
      this.balancer.pick(endpoints, (e) => e !== avoid) ??
      avoid
    )
  }

  /** Re-reads the source: new instances get a pool, departed ones have theirs closed (in-flight requests finish). */
  sync(): void {
    const next = this.source.current()
    const known = new Map(this.endpoints.map((e) => [e.url, e]))
    const kept: Endpoint[] = []
    for (const instance of next) {
      const existing = known.get(instance.url)
      if (existing && existing.id === instance.id) {
        kept.push(existing)
        known.delete(instance.url)
      } else {
        kept.push(
          new Endpoint(instance.id, instance.url, {
            connections: this.options.connections,
            keepAliveTimeoutMs: DEFAULTS.keepAliveTimeoutMs,
          }),
        )
      }
    }
    for (const gone of known.values()) {
      this.options.metrics.ejected.remove(this.dependency, gone.id)
      void gone.pool.close().catch(() => undefined)
    }
    this.endpoints = kept
  }

  async close(): Promise<void> {
    this.unsubscribe()
    const endpoints = this.endpoints
    this.endpoints = []
    await Promise.all(endpoints.map((e) => e.pool.destroy().catch(() => undefined)))
  }
}

const always = () => true
