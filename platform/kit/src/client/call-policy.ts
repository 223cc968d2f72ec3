import { Type } from '@sinclair/typebox'
import { defineSettings, envName, loadSettings, type SettingsOf, setting } from '../config/settings.js'

/**
 * How calls to one dependency behave. Every member has a default here, may
 * be set for every dependency by `TRELLIS_CALL_<KEY>`, for one dependency in
 * the service's definition (`calls: { inventory: {...} }`), and for one
 * dependency by `TRELLIS_CALL_<DEPENDENCY>_<KEY>`, each over the one before.
 * Timeout and retries may also be set per route and per call.
 */
export const CallSettings = defineSettings({
  // Callers answer people: a call that has not answered in 2 s is better
  // abandoned for a fallback. The gateway waits 10 s for a whole request, so
  // a caller keeps time for its own work.
  timeoutMs: setting(
    Type.Integer({ minimum: 1, maximum: 600_000 }),
    2_000,
    'Deadline of one call, retries included (further bounded by the inbound request deadline).',
  ),
  retries: setting(
    Type.Integer({ minimum: 0, maximum: 10 }),
    2,
    'Attempts after the first, for safe calls only (idempotent method, refused connection, 503).',
  ),
  // Local calls answer in milliseconds: a short first pause spreads a burst
  // of retries without eating the budget.
  retryBackoffMs: setting(
    Type.Integer({ minimum: 0, maximum: 60_000 }),
    20,
    'First pause before a retry; doubled with jitter each time.',
  ),
  retryMaxBackoffMs: setting(
    Type.Integer({ minimum: 0, maximum: 60_000 }),
    500,
    'Longest pause before a retry.',
  ),
  // Finagle's defaults: retries add at most 20% load plus a trickle.
  retryBudgetRatio: setting(
    Type.Number({ minimum: 0, maximum: 10 }),
    0.2,
    'Retries allowed per call made, across all calls to the dependency.',
  ),
  retryBudgetPerSecond: setting(
    Type.Number({ minimum: 0, maximum: 10_000 }),
    10,
    'Retries allowed per second whatever the traffic.',
  ),
  breakerFailures: setting(
    Type.Integer({ minimum: 0, maximum: 1_000 }),
    5,
    'Failed attempts in a row that open the circuit; 0 turns the breaker off.',
  ),
  // Long enough for a restarted instance to come back (about 1 s locally),
  // short enough that a recovered dependency is used again soon.
  breakerHalfOpenAfterMs: setting(
    Type.Integer({ minimum: 10, maximum: 600_000 }),
    5_000,
    'How long an open circuit fails fast before one trial call goes through.',
  ),
  bulkheadLimit: setting(
    Type.Integer({ minimum: 0, maximum: 10_000 }),
    64,
    'Calls in flight to the dependency at once; 0 turns the bulkhead off.',
  ),
  bulkheadQueue: setting(
    Type.Integer({ minimum: 0, maximum: 10_000 }),
    16,
    'Calls that may wait for a slot; beyond that, calls are rejected at once.',
  ),
  balancer: setting(
    Type.Union([Type.Literal('round-robin'), Type.Literal('least-outstanding')]),
    'round-robin',
    'How an instance is chosen for each attempt.',
  ),
  // Three in a row tells a dead instance from an unlucky request; at
  // hundreds of calls a second that takes milliseconds.
  ejectAfterFailures: setting(
    Type.Integer({ minimum: 0, maximum: 1_000 }),
    3,
    'Failed calls in a row that take an instance out of rotation; 0 turns ejection off.',
  ),
  ejectBaseMs: setting(
    Type.Integer({ minimum: 10, maximum: 600_000 }),
    1_000,
    'First ejection period; doubled for each ejection in a row.',
  ),
  ejectMaxMs: setting(Type.Integer({ minimum: 10, maximum: 3_600_000 }), 30_000, 'Longest ejection period.'),
  connections: setting(
    Type.Integer({ minimum: 1, maximum: 1_024 }),
    64,
    'Keep-alive connections per instance of the dependency.',
  ),
  urls: setting(
    Type.Array(Type.String({ pattern: '^https?://' })),
    [],
    'Fixed instance URLs instead of the registry (Kubernetes Services, tests); comma-separated.',
  ),
})

export type CallPolicy = SettingsOf<typeof CallSettings.specs>

/** What may differ per route of a dependency and per call. */
export interface RoutePolicy {
  timeoutMs?: number
  retries?: number
}

/** A service's declaration for one dependency: policy members over the defaults, and per-route ones. */
export type DependencyPolicy = Partial<Omit<CallPolicy, 'urls'>> & {
  /** Per route of the dependency, keyed `METHOD /path/:template` as the call names it. */
  routes?: Record<string, RoutePolicy>
}

/** The policy of each dependency, from defaults, the environment and the definition, in that order. */
export function resolvePolicies(
  dependencies: string[],
  declared: Record<string, DependencyPolicy>,
  env: Record<string, string | undefined>,
): Map<string, { policy: CallPolicy; routes: Record<string, RoutePolicy> }> {
  const global = loadSettings(CallSettings, env, 'call')
  const out = new Map<string, { policy: CallPolicy; routes: Record<string, RoutePolicy> }>()
  for (const dependency of dependencies) {
    const { routes = {}, ...inCode } = declared[dependency] ?? {}
    const scope = `call_${dependency}`
    const fromEnv = loadSettings(CallSettings, env, scope)
    const overridden = Object.fromEntries(
      Object.entries(CallSettings.specs)
        .filter(([key, spec]) => {
          const raw = env[envName(scope, key, spec)]
          return raw !== undefined && raw !== ''
        })
        .map(([key]) => [key, fromEnv[key as keyof CallPolicy]]),
    )
    out.set(dependency, { policy: { ...global, ...defined(inCode), ...overridden } as CallPolicy, routes })
  }
  return out
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Policy members for a direct client (tests, tools): the defaults under what is given. */
export function callPolicy(overrides: Partial<CallPolicy> = {}): CallPolicy {
  return { ...loadSettings(CallSettings, {}), ...defined(overrides) }
}
