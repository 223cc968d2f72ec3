import type { Registry } from 'prom-client'

interface Series {
  labels: Record<string, string>
  buckets: Float64Array
  sum: number
  count: number
}

/**
 * A Prometheus histogram of request durations by method, route and status,
 * for the hot path: one map lookup and a few additions per request. (A
 * prom-client Histogram child re-checks and re-hashes its labels on every
 * observation, which showed in bench:observability.) It registers with a
 * prom-client Registry like any metric, so /metrics serves it unchanged.
 */
export class RouteHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly series = new Map<string, Series>()

  constructor(
    options: { name: string; help: string; buckets: number[]; registers: Registry[] },
    private readonly bounds = options.buckets,
  ) {
    this.name = options.name
    this.help = options.help
    for (const registry of options.registers) registry.registerMetric(this as never)
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`
    let series = this.series.get(key)
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        buckets: new Float64Array(this.bounds.length),
        sum: 0,
        count: 0,
      }
      this.series.set(key, series)
    }
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        series.buckets[i]! += 1
        break
      }
    }
    series.sum += seconds
    series.count += 1
  }

  /** What prom-client's registry reads to write the exposition text. */
  get(): { name: string; help: string; type: string; aggregator: string; values: unknown[] } {
    const values: unknown[] = []
    for (const series of this.series.values()) {
      let cumulative = 0
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.buckets[i]!
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...series.labels, le: this.bounds[i] },
          value: cumulative,
        })
      }
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...series.labels, le: '+Inf' },
        value: series.count,
      })
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum })
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.series.clear()
  }
}
