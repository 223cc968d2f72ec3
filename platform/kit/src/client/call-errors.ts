import { defineError } from '../errors/define-error.js'

/**
 * What a caller of another service gets when the call did not produce an
 * answer. A 4xx problem the callee sent is not one of these: it reaches the
 * caller as the callee's own code (see DependencyClient).
 */
export const CallErrors = {
  timeout: defineError('TRELLIS_CALL_TIMEOUT', 504, 'the call to %s %s did not complete within %s ms', {
    retryable: true,
  }),
  deadlineExceeded: defineError(
    'TRELLIS_CALL_DEADLINE_EXCEEDED',
    504,
    "no time left to call %s: the request's deadline has passed",
  ),
  circuitOpen: defineError(
    'TRELLIS_CALL_CIRCUIT_OPEN',
    503,
    'calls to %s are suspended after repeated failures; the next trial is in at most %s ms',
    { retryable: true },
  ),
  bulkheadFull: defineError(
    'TRELLIS_CALL_BULKHEAD_FULL',
    503,
    'too many concurrent calls to %s (%s running, %s queued)',
    { retryable: true },
  ),
  noInstance: defineError('TRELLIS_CALL_NO_INSTANCE', 503, 'no instance of %s is available', {
    retryable: true,
  }),
  unreachable: defineError('TRELLIS_CALL_UNREACHABLE', 503, 'could not reach %s: %s', { retryable: true }),
  upstreamUnavailable: defineError('TRELLIS_CALL_UPSTREAM_UNAVAILABLE', 503, '%s answered %s: %s', {
    retryable: true,
  }),
  upstreamFailed: defineError('TRELLIS_CALL_UPSTREAM_FAILED', 502, '%s answered %s: %s'),
  undeclared: defineError(
    'TRELLIS_CALL_UNDECLARED',
    500,
    'service %s calls %s, which its definition does not list in dependsOn',
  ),
} as const

/** Codes that mean "no answer" (as opposed to an answer that says no): what fallbacks cover. */
export const UNAVAILABILITY = new Set<string>([
  CallErrors.timeout.code,
  CallErrors.deadlineExceeded.code,
  CallErrors.circuitOpen.code,
  CallErrors.bulkheadFull.code,
  CallErrors.noInstance.code,
  CallErrors.unreachable.code,
  CallErrors.upstreamUnavailable.code,
  CallErrors.upstreamFailed.code,
])
