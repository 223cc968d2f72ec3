import { type Static, Type } from '@sinclair/typebox'
import { defineError, TrellisError } from '../errors/define-error.js'

/** One fault: which route, what goes wrong, how often. */
export const Fault = Type.Object(
  {
    /** `METHOD /template` as the route is declared (`GET /stock/:sku`), or `*` for every route of the service. */
    route: Type.String({ pattern: '^(\\*|(GET|HEAD|POST|PUT|PATCH|DELETE) /\\S*)$' }),
    /** slow: answer after `delayMs`; fail: a 5xx problem; dead: the connection is cut, no answer. */
    kind: Type.Union([Type.Literal('slow'), Type.Literal('fail'), Type.Literal('dead')]),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    status: Type.Optional(
      Type.Union([Type.Literal(500), Type.Literal(502), Type.Literal(503), Type.Literal(504)]),
    ),
    /** Share of matching requests affected (flapping below 1). */
    probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
)
export type Fault = Static<typeof Fault>

export const FaultList = Type.Array(Fault, { maxItems: 50 })

export const FaultErrors = {
  injected: defineError('TRELLIS_FAULT_INJECTED', 503, 'fault injected on %s', { retryable: true }),
} as const

const DEFAULTS = {
  // Slow enough to exceed any default call timeout (2 s).
  delayMs: 5_000,
}

/** The first fault that applies to `route` (`METHOD /template`) this time, if any. */
export function faultFor(faults: readonly Fault[], route: string, random = Math.random): Fault | undefined {
  for (const fault of faults) {
    if (fault.route !== '*' && fault.route !== route) continue
    if ((fault.probability ?? 1) <= random()) continue
    return fault
  }
  return undefined
}

export function delayOf(fault: Fault): number {
  return fault.delayMs ?? DEFAULTS.delayMs
}

/** The problem a `fail` fault answers with: TRELLIS_FAULT_INJECTED at the status asked for (503 by default). */
export function injectedError(fault: Fault, route: string): TrellisError {
  const base = FaultErrors.injected(route)
  const status = fault.status ?? 503
  if (status === 503) return base
  return new TrellisError({
    code: base.code,
    status,
    title: base.title,
    detail: base.message,
    retryable: base.retryable,
  })
}
