/**
 * Why one attempt produced no usable answer, as the policies need to know
 * it: whether another attempt could succeed and whether it is safe, and
 * whether it counts against the instance and the dependency.
 */
export type FailureKind = 'refused' | 'connection' | 'status' | 'timeout' | 'none'

export class AttemptFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    /** A short reason: the socket error code or the status. */
    readonly reason: string,
    readonly status?: number,
    /** The callee's problem document, when it sent one. */
    readonly problem?: Record<string, unknown>,
  ) {
    super(reason)
    this.name = 'AttemptFailure'
  }

  /**
   * May this attempt be made again? A refused connection never reached the
   * callee, so any request may go again; a broken connection or a 503 may
   * have left work half done, so only idempotent requests go again. Other
   * 5xx answers and timeouts are not retried: the callee answered, or the
   * budget is spent. With no instance at all (`none`) there is nothing to
   * retry on; the breaker still counts it, since the dependency is down.
   */
  retryable(idempotent: boolean): boolean {
    if (this.kind === 'refused') return true
    if (this.kind === 'connection') return idempotent
    if (this.kind === 'status') return idempotent && this.status === 503
    return false
  }
}

const REFUSED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
])
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT'])

/** Maps an error thrown by undici while sending or reading to a failure, or undefined if it is none of ours. */
export function connectionFailure(error: unknown): AttemptFailure | undefined {
  const code = (error as { code?: string }).code
  if (code === undefined) return undefined
  if (REFUSED.has(code)) return new AttemptFailure('refused', code)
  if (BROKEN.has(code)) return new AttemptFailure('connection', code)
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new AttemptFailure('timeout', code)
  return undefined
}
