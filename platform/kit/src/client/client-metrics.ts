import { Counter, Gauge, type Registry } from 'prom-client'
import { FastHistogram } from '../metrics/fast-histogram.js'

/** Circuit states as the gauge reports them. */
export const BREAKER_STATE_VALUE = { closed: 0, open: 1, 'half-open': 2 } as const
export type BreakerStateName = keyof typeof BREAKER_STATE_VALUE

/**
 * The call machinery's Prometheus series. One set per registry: the kit
 * client and the gateway each record to their process's registry.
 */
export class ClientMetrics {
  readonly calls: FastHistogram<'dependency' | 'route' | 'outcome'>
  readonly attempts: Counter<'dependency' | 'upstream' | 'outcome'>
  readonly retries: Counter<'dependency'>
  readonly retriesDenied: Counter<'dependency'>
  readonly breakerState: Gauge<'dependency'>
  readonly breakerTransitions: Counter<'dependency' | 'state'>
  readonly ejections: Counter<'dependency' | 'upstream'>
  readonly ejected: Gauge<'dependency' | 'upstream'>
  readonly bulkheadRejections: Counter<'dependency'>
  readonly fallbacks: Counter<'dependency' | 'route'>

  private static readonly byRegistry = new WeakMap<Registry, ClientMetrics>()

  /** The one set of series of a registry (created on first use). */
  static of(registry: Registry): ClientMetrics {
    let metrics = ClientMetrics.byRegistry.get(registry)
    if (!metrics) {
      metrics = new ClientMetrics(registry)
      ClientMetrics.byRegistry.set(registry, metrics)
    }
    return metrics
  }

  private constructor(registry: Registry) {
    const registers = [registry]
    this.calls = new FastHistogram({
      name: 'trellis_client_call_duration_seconds',
      help: 'Calls to other services, retries included, by outcome (ok or the error code).',
      labelNames: ['dependency', 'route', 'outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.attempts = new Counter({
      name: 'trellis_client_attempts_total',
      help: 'Attempts sent to each instance, by outcome (ok, failed).',
      labelNames: ['dependency', 'upstream', 'outcome'],
      registers,
    })
    this.retries = new Counter({
      name: 'trellis_client_retries_total',
      help: 'Attempts made again after a safe failure.',
      labelNames: ['dependency'],
      registers,
    })
    this.retriesDenied = new Counter({
      name: 'trellis_client_retries_denied_total',
      help: 'Retries not made because the retry budget was spent.',
      labelNames: ['dependency'],
      registers,
    })
    this.breakerState = new Gauge({
      name: 'trellis_client_breaker_state',
      help: 'Circuit state per dependency: 0 closed, 1 open, 2 half-open.',
      labelNames: ['dependency'],
      registers,
    })
    this.breakerTransitions = new Counter({
      name: 'trellis_client_breaker_transitions_total',
      help: 'Circuit state changes per dependency, by the state entered.',
      labelNames: ['dependency', 'state'],
      registers,
    })
    this.ejections = new Counter({
      name: 'trellis_client_ejections_total',
      help: 'Times an instance was taken out of rotation after failing calls in a row.',
      labelNames: ['dependency', 'upstream'],
      registers,
    })
    this.ejected = new Gauge({
      name: 'trellis_client_ejected',
      help: '1 while an instance is out of rotation.',
      labelNames: ['dependency', 'upstream'],
      registers,
    })
    this.bulkheadRejections = new Counter({
      name: 'trellis_client_bulkhead_rejections_total',
      help: 'Calls rejected because too many were in flight or waiting.',
      labelNames: ['dependency'],
      registers,
    })
    this.fallbacks = new Counter({
      name: 'trellis_client_fallbacks_total',
      help: "Calls answered by the caller's fallback instead of the dependency.",
      labelNames: ['dependency', 'route'],
      registers,
    })
  }
}
