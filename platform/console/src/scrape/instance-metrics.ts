import { bucketQuantile, type Sample, sum } from './prometheus-text.js'

/** The per-instance numbers the console charts, derived from two successive scrapes. */
export interface MetricPoint {
  t: number
  /** Requests per second, and those answered 5xx. */
  rps: number
  errorsPerS: number
  /** 99th percentile request latency over the interval, in ms (undefined without requests). */
  p99Ms: number | undefined
  eventLoopLagMs: number
  rssMb: number
  heapMb: number
  /** CPU use, percent of one core. */
  cpuPct: number
  outboxBacklog: number | undefined
  deadLetters: number | undefined
}

export interface RouteStats {
  route: string
  rps: number
  errorsPerS: number
  p99Ms: number | undefined
}

export const HTTP_DURATION = 'trellis_http_request_duration_seconds'

/** What one interval (from `before` to `now`, `seconds` apart) says about an instance. */
export function derive(
  t: number,
  before: Sample[] | undefined,
  now: Sample[],
  seconds: number,
): { point: MetricPoint; routes: RouteStats[] } {
  const delta = (name: string, where?: (l: Record<string, string>) => boolean) =>
    before ? Math.max(0, sum(now, name, where) - sum(before, name, where)) : 0
  const per = (n: number) => (seconds > 0 ? n / seconds : 0)
  const has = (name: string) => now.some((s) => s.name === name)
  const is5xx = (l: Record<string, string>) => (l['status'] ?? '').startsWith('5')
  const point: MetricPoint = {
    t,
    rps: per(delta(`${HTTP_DURATION}_count`)),
    errorsPerS: per(delta(`${HTTP_DURATION}_count`, is5xx)),
    p99Ms: quantileMs(before, now, 0.99),
    eventLoopLagMs: sum(now, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    rssMb: sum(now, 'process_resident_memory_bytes') / 1_048_576,
    heapMb: sum(now, 'nodejs_heap_size_used_bytes') / 1_048_576,
    cpuPct: per(delta('process_cpu_seconds_total')) * 100,
    outboxBacklog: has('trellis_outbox_pending') ? sum(now, 'trellis_outbox_pending') : undefined,
    deadLetters: has('trellis_dead_letters_waiting') ? sum(now, 'trellis_dead_letters_waiting') : undefined,
  }
  const routes = new Set(
    now
      .filter((s) => s.name === `${HTTP_DURATION}_count`)
      .map((s) => `${s.labels['method']} ${s.labels['route']}`),
  )
  const routeStats = [...routes].map((route) => {
    const of = (l: Record<string, string>) => `${l['method']} ${l['route']}` === route
    return {
      route,
      rps: per(delta(`${HTTP_DURATION}_count`, of)),
      errorsPerS: per(delta(`${HTTP_DURATION}_count`, (l) => of(l) && is5xx(l))),
      p99Ms: quantileMs(before, now, 0.99, of),
    }
  })
  return { point, routes: routeStats.sort((a, b) => b.rps - a.rps) }
}

function quantileMs(
  before: Sample[] | undefined,
  now: Sample[],
  q: number,
  where: (l: Record<string, string>) => boolean = () => true,
): number | undefined {
  const buckets = new Map<number, number>()
  const name = `${HTTP_DURATION}_bucket`
  for (const s of now)
    if (s.name === name && where(s.labels)) {
      const le = s.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels['le'])
      buckets.set(le, (buckets.get(le) ?? 0) + s.value)
    }
  for (const s of before ?? [])
    if (s.name === name && where(s.labels)) {
      const le = s.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels['le'])
      buckets.set(le, (buckets.get(le) ?? 0) - s.value)
    }
  const value = bucketQuantile(q, buckets)
  return value === undefined ? undefined : Math.round(value * 1_000_000) / 1000
}
