/**
 * The caller's remaining time budget travels downstream in this header, in
 * whole milliseconds, relative to the moment the request is sent. Relative,
 * not an absolute time: hosts' clocks disagree, and a budget needs no
 * agreement (gRPC's `grpc-timeout` makes the same choice). The time the
 * request spends on the wire is not subtracted; on a local network that is
 * well under a millisecond.
 */
export const DEADLINE_HEADER = 'x-trellis-budget-ms'

/** The largest budget a header may carry (10 minutes); anything larger is a mistake. */
export const MAX_BUDGET_MS = 600_000

/** A point in time after which the work is of no use to whoever asked for it. */
export class Deadline {
  private constructor(readonly at: number) {}

  /** A deadline `ms` from now. */
  static in(ms: number): Deadline {
    return new Deadline(performance.now() + ms)
  }

  remainingMs(): number {
    return Math.max(0, Math.floor(this.at - performance.now()))
  }

  get expired(): boolean {
    return performance.now() >= this.at
  }

  /** The earlier of this deadline and `ms` from now. */
  within(ms: number): number {
    return Math.min(this.remainingMs(), ms)
  }
}

/** Reads the header: a budget in ms, `undefined` when absent, `NaN` when malformed. */
export function parseBudget(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || !/^-?\d{1,9}$/.test(value.trim())) return Number.NaN
  return Number(value)
}
