import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel'
import type { Logger } from '../log/logger.js'
import { BREAKER_STATE_VALUE, type BreakerStateName, type ClientMetrics } from './client-metrics.js'
import { AttemptFailure } from './failure.js'

export interface BreakerOptions {
  /** Failed attempts in a row that open the circuit; 0: no breaker. */
  failures: number
  halfOpenAfterMs: number
}

const NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
}

/**
 * A circuit breaker for one dependency (cockatiel's): closed, it counts
 * failed attempts in a row (refused, broken, timed out, 5xx; a 4xx is an
 * answer, not a failure); at `failures` it opens and every call fails at
 * once, without a timer or a socket, for `halfOpenAfterMs`; then one trial
 * call goes through (half-open) and its outcome closes or reopens it. Each
 * change is logged and shown in `trellis_client_breaker_state`.
 */
export function createBreaker(
  dependency: string,
  options: BreakerOptions,
  log: Logger | undefined,
  metrics: ClientMetrics,
): CircuitBreakerPolicy | undefined {
  metrics.breakerState.labels(dependency).set(0)
  if (options.failures <= 0) return undefined
  const breaker = circuitBreaker(
    // A failure is thrown by the kit client; the gateway, which has already
    // streamed a 5xx answer to its client, returns it instead.
    handleWhen((error) => error instanceof AttemptFailure).orWhenResult(
      (result) => result instanceof AttemptFailure,
    ),
    { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.failures) },
  )
  breaker.onStateChange((state) => {
    const name = NAMES[state]
    metrics.breakerState.labels(dependency).set(BREAKER_STATE_VALUE[name])
    metrics.breakerTransitions.labels(dependency, name).inc()
    const fields = { dependency, circuit: name }
    if (name === 'open')
      log?.warn({ ...fields, retryInMs: options.halfOpenAfterMs }, `circuit to ${dependency} opened`)
    else if (name === 'half-open') log?.info(fields, `circuit to ${dependency} half-open: trying one call`)
    else log?.info(fields, `circuit to ${dependency} closed`)
  })
  return breaker
}

export function breakerStateName(breaker: CircuitBreakerPolicy | undefined): BreakerStateName {
  return breaker ? NAMES[breaker.state] : 'closed'
}
