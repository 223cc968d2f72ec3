import { Pool } from 'undici'

/** One instance of a dependency as a client sees it: where it is, its connections, its recent record. */
export class Endpoint {
  readonly pool: Pool
  /** Requests sent and not yet answered (the least-outstanding balancer reads it). */
  outstanding = 0
  /** Failed calls in a row; a success resets it. */
  consecutiveFailures = 0
  /** Times ejected without a success in between; each doubles the next ejection. */
  ejections = 0
  /** performance.now() until which the endpoint is out of rotation; 0 when it is in. */
  ejectedUntil = 0
  /** Back from an ejection, not yet proven: one failure ejects it again. */
  probation = false
  /** This endpoint's successful-attempts counter series, looked up on first use. */
  okAttempts: { inc(): void } | undefined

  constructor(
    readonly id: string,
    readonly url: string,
    options: { connections: number; keepAliveTimeoutMs: number },
  ) {
    this.pool = new Pool(url, {
      connections: options.connections,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: options.keepAliveTimeoutMs,
    })
  }
}
