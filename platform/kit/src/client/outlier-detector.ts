import type { Endpoint } from './endpoint.js'

export interface OutlierOptions {
  /** Failed calls in a row (refused, reset, timed out, 5xx) that eject an endpoint; 0 turns ejection off. */
  consecutiveFailures: number
  /** First ejection; each further one in a row doubles it. */
  baseEjectionMs: number
  maxEjectionMs: number
}

export interface OutlierEvents {
  ejected(endpoint: Endpoint, forMs: number): void
  /** The ejection ended: the endpoint is back on probation. */
  returned(endpoint: Endpoint): void
  /** It answered on probation: fully back. */
  recovered(endpoint: Endpoint): void
}

/**
 * Passive outlier detection (Envoy's model): an endpoint that fails
 * `consecutiveFailures` calls in a row leaves the rotation for an ejection
 * period, then comes back on probation, where its next call decides: a
 * success clears its record, a failure ejects it again for twice as long
 * (up to `maxEjectionMs`). Probing with real calls, not health checks, finds
 * instances whose health route answers while their real routes fail.
 */
export class OutlierDetector {
  constructor(
    private readonly options: OutlierOptions,
    private readonly events: OutlierEvents,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.options.consecutiveFailures > 0
  }

  /** In rotation? An endpoint whose ejection has ended comes back here, on probation. */
  available(endpoint: Endpoint): boolean {
    if (endpoint.ejectedUntil === 0) return true
    if (this.now() < endpoint.ejectedUntil) return false
    endpoint.ejectedUntil = 0
    endpoint.probation = true
    this.events.returned(endpoint)
    return true
  }

  success(endpoint: Endpoint): void {
    endpoint.consecutiveFailures = 0
    if (endpoint.probation) {
      endpoint.probation = false
      endpoint.ejections = 0
      this.events.recovered(endpoint)
    }
  }

  failure(endpoint: Endpoint): void {
    if (!this.enabled) return
    endpoint.consecutiveFailures += 1
    if (endpoint.ejectedUntil !== 0) return
    if (endpoint.probation || endpoint.consecutiveFailures >= this.options.consecutiveFailures) {
      const forMs = Math.min(
        this.options.baseEjectionMs * 2 ** endpoint.ejections,
        this.options.maxEjectionMs,
      )
      endpoint.ejections += 1
      endpoint.probation = false
      endpoint.ejectedUntil = this.now() + forMs
      this.events.ejected(endpoint, forMs)
    }
  }
}
