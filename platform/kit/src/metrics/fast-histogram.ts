import type { Registry } from 'prom-client'

/** One labelled series of a FastHistogram: `observe` is a few additions, no lookup. */
export class HistogramSeries {
  readonly buckets: Float64Array
  sum = 0
  count = 0

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: number[],
  ) {
    this.buckets = new Float64Array(bounds.length)
  }

  observe(seconds: number): void {
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        this.buckets[i]! += 1
        break
      }
    }
    this.sum += seconds
    this.count += 1
  }
}

/**
 * A Prometheus histogram for hot paths (request and call durations): a
 * series is found once by its label values and then observed with a few
 * additions. (A prom-client Histogram child re-checks and re-hashes its
 * labels on every observation, which showed in bench:observability and
 * bench:client.) It registers with a prom-client Registry like any metric,
 * so /metrics serves it unchanged.
 */
export class FastHistogram<L extends string = string> {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly series = new Map<string, HistogramSeries>()
  private readonly labelNames: readonly L[]
  private readonly bounds: number[]

  constructor(options: {
    name: string
    help: string
    labelNames: readonly L[]
    buckets: number[]
    registers: Registry[]
  }) {
    this.name = options.name
    this.help = options.help
    this.labelNames = options.labelNames
    this.bounds = options.buckets
    for (const registry of options.registers) registry.registerMetric(this as never)
  }

  /** The series of these label values, in `labelNames` order (keep it where it is used often). */
  labels(...values: string[]): HistogramSeries {
    return this.at(values.join('\u0000'), values)
  }

  /** The series under a key the caller builds (unique per label values), made from `values` the first time. */
  at(key: string, values: readonly string[]): HistogramSeries {
    let series = this.series.get(key)
    if (!series) {
      const labels: Record<string, string> = {}
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? ''
      })
      series = new HistogramSeries(labels, this.bounds)
      this.series.set(key, series)
    }
    return series
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
