import {
  ClientMetrics,
  callPolicy,
  createBreaker,
  directorySource,
  EndpointSet,
  type Logger,
  RetryBudget,
  type ServiceDirectory,
} from '@trellis/kit/platform'
import type { CircuitBreakerPolicy } from 'cockatiel'
import { Registry } from 'prom-client'
import type { ExposedService } from './route-table.js'

const DEFAULTS = {
  connections: 128,
  breaker: { failures: 5, halfOpenAfterMs: 5_000 },
}

/** What the proxy needs to reach one exposed service. */
export interface Upstream {
  service: string
  /** Its instances from the registry watch: a keep-alive pool each, round-robin, outlier ejection. */
  endpoints: EndpointSet
  breaker: CircuitBreakerPolicy | undefined
  halfOpenAfterMs: number
  /** Shared by all requests to the service, so retries cannot multiply load in an outage. */
  budget: RetryBudget
  metrics: ClientMetrics
}

export interface UpstreamsOptions {
  connections?: number
  log?: Logger
  /** Where the call machinery's series go; a private registry when absent. */
  metrics?: Registry
}

/**
 * The gateway's upstreams, built from the same machinery as the kit's call
 * client: per exposed service an EndpointSet fed by the registry watch (one
 * pool per instance, closed when the instance leaves), outlier ejection, a
 * circuit breaker and a retry budget. Each is made on first use.
 */
export class Upstreams {
  private readonly services = new Map<string, Upstream>()
  readonly metrics: ClientMetrics
  private readonly defaults = callPolicy()

  constructor(
    private readonly directory: ServiceDirectory,
    private readonly options: UpstreamsOptions = {},
  ) {
    this.metrics = ClientMetrics.of(options.metrics ?? new Registry())
  }

  get(exposed: ExposedService): Upstream {
    let upstream = this.services.get(exposed.service)
    if (upstream) return upstream
    const { log } = this.options
    const breaker = exposed.breaker ?? DEFAULTS.breaker
    upstream = {
      service: exposed.service,
      endpoints: new EndpointSet(exposed.service, directorySource(this.directory, exposed.service), {
        connections: this.options.connections ?? DEFAULTS.connections,
        balancer: 'round-robin',
        outlier: {
          consecutiveFailures: this.defaults.ejectAfterFailures,
          baseEjectionMs: this.defaults.ejectBaseMs,
          maxEjectionMs: this.defaults.ejectMaxMs,
        },
        metrics: this.metrics,
        ...(log ? { log } : {}),
      }),
      breaker: createBreaker(exposed.service, breaker, log, this.metrics),
      halfOpenAfterMs: breaker.halfOpenAfterMs,
      budget: new RetryBudget({
        ratio: this.defaults.retryBudgetRatio,
        minPerSecond: this.defaults.retryBudgetPerSecond,
      }),
      metrics: this.metrics,
    }
    this.services.set(exposed.service, upstream)
    return upstream
  }

  async close(): Promise<void> {
    const upstreams = [...this.services.values()]
    this.services.clear()
    await Promise.all(upstreams.map((u) => u.endpoints.close()))
  }
}
