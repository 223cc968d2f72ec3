/**
 * Readiness: the instance should receive traffic. Each named check says yes
 * or no (with a reason); a draining instance is never ready. Liveness is
 * simpler and separate: the process answers at all.
 */
export interface CheckResult {
  ok: boolean
  detail?: string
}

export type Check = () => CheckResult | Promise<CheckResult>

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, CheckResult>
}

export class Readiness {
  private readonly checks = new Map<string, Check>()
  private draining = false

  add(name: string, check: Check): this {
    this.checks.set(name, check)
    return this
  }

  drain(): void {
    this.draining = true
  }

  get isDraining(): boolean {
    return this.draining
  }

  async evaluate(): Promise<ReadinessReport> {
    const checks: Record<string, CheckResult> = {}
    if (this.draining) checks['lifecycle'] = { ok: false, detail: 'draining' }
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          checks[name] = await check()
        } catch (error) {
          checks[name] = { ok: false, detail: (error as Error).message }
        }
      }),
    )
    return { ready: Object.values(checks).every((c) => c.ok), checks }
  }
}

/** Caches an expensive check for `ttlMs`, so probes cannot hammer the database. */
export function cached(check: Check, ttlMs: number): Check {
  let last: { at: number; result: Promise<CheckResult> } | undefined
  return () => {
    const now = Date.now()
    if (!last || now - last.at > ttlMs) last = { at: now, result: Promise.resolve(check()) }
    return last.result
  }
}
