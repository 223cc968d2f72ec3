import type { InstanceView } from '../scrape/fleet.js'

export type Severity = 'critical' | 'warning'

/** One alert rule: evaluated here on the fleet's numbers, and written out as the equivalent PromQL. */
export interface AlertRule {
  name: string
  severity: Severity
  summary: string
  /** The same condition for Prometheus (the console's scrape labels: service, instance). */
  expr: string
  /** Prometheus `for:`; the console fires at the first evaluation that holds. */
  for: string
  /** The instances (label sets) for which the condition holds now, each with what was seen. */
  evaluate(instances: InstanceView[], now: number): Array<{ labels: Record<string, string>; value: string }>
}

const HTTP = 'trellis_http_request_duration_seconds'
/** Rates are judged over this many of the latest points (a minute at the default 2 s interval). */
const WINDOW_MS = 60_000

function recent(view: InstanceView, now: number) {
  return view.history.filter((p) => p.t >= now - WINDOW_MS)
}

const byInstance = (v: InstanceView) => ({ service: v.service, instance: v.instance })

export const RULES: AlertRule[] = [
  {
    name: 'InstanceDown',
    severity: 'critical',
    summary: 'An instance does not answer (its process died, or it hangs).',
    expr: 'up == 0',
    for: '0s',
    evaluate: (instances) =>
      instances
        .filter(
          (v) => v.up === false || (v.phase !== undefined && !['running', 'starting'].includes(v.phase)),
        )
        .filter((v) => v.phase !== 'stopped')
        // Being started for the first time (npm start, a scale-up) is not down: a start that never
        // completes ends in the control loop's failed or crash-loop state, and fires then.
        .filter((v) => !(v.phase === 'starting' && v.restarts === 0))
        .map((v) => ({
          labels: byInstance(v),
          value: v.phase && v.phase !== 'running' ? v.phase : (v.scrapeError ?? 'down'),
        })),
  },
  {
    name: 'HighErrorRate',
    severity: 'critical',
    summary: 'More than 5% of an instance’s requests answered 5xx over the last minute.',
    expr: `sum by (service, instance) (rate(${HTTP}_count{status=~"5.."}[1m])) / sum by (service, instance) (rate(${HTTP}_count[1m])) > 0.05`,
    for: '1m',
    evaluate: (instances, now) =>
      instances.flatMap((v) => {
        const points = recent(v, now)
        const requests = points.reduce((n, p) => n + p.rps, 0)
        const errors = points.reduce((n, p) => n + p.errorsPerS, 0)
        return requests > 0 && errors / requests > 0.05 && points.some((p) => p.errorsPerS > 0)
          ? [{ labels: byInstance(v), value: `${Math.round((errors / requests) * 100)}% errors` }]
          : []
      }),
  },
  {
    name: 'HighLatencyP99',
    severity: 'warning',
    summary: 'An instance’s 99th percentile latency is above 1 s.',
    expr: `histogram_quantile(0.99, sum by (service, instance, le) (rate(${HTTP}_bucket[5m]))) > 1`,
    for: '5m',
    evaluate: (instances, now) =>
      instances.flatMap((v) => {
        const worst = Math.max(0, ...recent(v, now).map((p) => p.p99Ms ?? 0))
        return worst > 1_000 ? [{ labels: byInstance(v), value: `p99 ${Math.round(worst)} ms` }] : []
      }),
  },
  {
    name: 'DeadLettersPresent',
    severity: 'warning',
    summary: 'A service holds dead letters: messages its handlers gave up on.',
    expr: 'max by (service) (trellis_dead_letters_waiting) > 0',
    for: '0s',
    evaluate: (instances) => {
      const services = new Map<string, number>()
      for (const v of instances)
        if (v.latest?.deadLetters)
          services.set(v.service, Math.max(services.get(v.service) ?? 0, v.latest.deadLetters))
      return [...services].map(([service, n]) => ({ labels: { service }, value: `${n} waiting` }))
    },
  },
  {
    name: 'OutboxBacklogGrowing',
    severity: 'warning',
    summary:
      'Events wait in a service’s outbox and their number grew over the last minute (transport down?).',
    expr: 'max by (service) (trellis_outbox_pending) > 10 and max by (service) (delta(trellis_outbox_pending[5m])) > 0',
    for: '5m',
    evaluate: (instances, now) => {
      const services = new Map<string, { now: number; before: number }>()
      for (const v of instances) {
        const points = recent(v, now).filter((p) => p.outboxBacklog !== undefined)
        if (points.length < 2) continue
        const entry = { now: points.at(-1)!.outboxBacklog!, before: points[0]!.outboxBacklog! }
        const known = services.get(v.service)
        if (!known || entry.now > known.now) services.set(v.service, entry)
      }
      return [...services]
        .filter(([, b]) => b.now > 10 && b.now > b.before)
        .map(([service, b]) => ({ labels: { service }, value: `${b.before} → ${b.now} pending` }))
    },
  },
  {
    name: 'CrashLoop',
    severity: 'critical',
    summary: 'An instance keeps exiting; the control loop restarts it with growing waits.',
    expr: 'changes(process_start_time_seconds[10m]) > 3',
    for: '0s',
    evaluate: (instances) =>
      instances
        .filter((v) => v.phase === 'crash-loop' || v.phase === 'failed')
        .map((v) => ({ labels: byInstance(v), value: `${v.phase}, ${v.restarts} restarts` })),
  },
]

/** The rules as a Prometheus rule file (YAML), for a production Prometheus scraping the same /metrics. */
export function prometheusRuleFile(rules: AlertRule[] = RULES): string {
  const lines = ['groups:', '  - name: trellis', '    rules:']
  for (const rule of rules) {
    lines.push(
      `      - alert: ${rule.name}`,
      `        expr: ${JSON.stringify(rule.expr)}`,
      `        for: ${rule.for}`,
      '        labels:',
      `          severity: ${rule.severity}`,
      '        annotations:',
      `          summary: ${JSON.stringify(rule.summary)}`,
    )
  }
  return `${lines.join('\n')}\n`
}
