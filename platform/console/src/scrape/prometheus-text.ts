/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the text format (version 0.0.4); comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = LINE.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    if (match[3]) {
      for (const label of match[3].matchAll(LABEL))
        labels[label[1]!] = label[2]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1')
    }
    const raw = match[4]!
    const value =
      raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw)
    if (Number.isNaN(value) && raw !== 'NaN') continue
    samples.push({ name: match[1]!, labels, value })
  }
  return samples
}

/** Sum of the samples named `name` whose labels pass `where`. */
export function sum(
  samples: Sample[],
  name: string,
  where?: (labels: Record<string, string>) => boolean,
): number {
  let total = 0
  for (const s of samples) if (s.name === name && (!where || where(s.labels))) total += s.value
  return total
}

/** A quantile from cumulative histogram buckets (`le` → count), interpolated within the bucket, as Prometheus does. */
export function bucketQuantile(q: number, buckets: Map<number, number>): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0])
  const total = sorted.at(-1)?.[1] ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  let previousBound = 0
  let previousCount = 0
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return previousBound
      const inBucket = count - previousCount
      return inBucket <= 0
        ? bound
        : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket
    }
    previousBound = bound
    previousCount = count
  }
  return previousBound
}
