import type { InstanceView } from '../scrape/fleet.js'
import { type AlertRule, RULES, type Severity } from './rules.js'

export interface Alert {
  /** Rule name and labels: one alert per rule and label set. */
  id: string
  rule: string
  severity: Severity
  summary: string
  labels: Record<string, string>
  state: 'firing' | 'resolved'
  value: string
  since: number
  resolvedAt?: number
}

export interface AlertEvent {
  seq: number
  at: number
  id: string
  rule: string
  state: 'firing' | 'resolved'
  labels: Record<string, string>
  value: string
}

const DEFAULTS = {
  // Resolved alerts stay listed this long, so a short outage is still visible afterwards.
  keepResolvedMs: 30 * 60_000,
  maxEvents: 2_000,
}

/**
 * Evaluates the rules after every scrape and keeps each alert's state:
 * an alert fires when its rule first holds for its labels and resolves when
 * it stops holding. Every change is an event (the control loop prints them).
 */
export class AlertBook {
  private readonly alerts = new Map<string, Alert>()
  private readonly events: AlertEvent[] = []
  private seq = 0

  constructor(private readonly rules: AlertRule[] = RULES) {}

  evaluate(instances: InstanceView[], now = Date.now()): void {
    const holding = new Set<string>()
    for (const rule of this.rules) {
      for (const { labels, value } of rule.evaluate(instances, now)) {
        const id = `${rule.name}{${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}}`
        holding.add(id)
        const known = this.alerts.get(id)
        if (known?.state === 'firing') {
          known.value = value
          continue
        }
        const alert: Alert = {
          id,
          rule: rule.name,
          severity: rule.severity,
          summary: rule.summary,
          labels,
          state: 'firing',
          value,
          since: now,
        }
        this.alerts.set(id, alert)
        this.record(alert, now)
      }
    }
    for (const alert of this.alerts.values()) {
      if (alert.state === 'firing' && !holding.has(alert.id)) {
        alert.state = 'resolved'
        alert.resolvedAt = now
        this.record(alert, now)
      } else if (alert.state === 'resolved' && now - (alert.resolvedAt ?? now) > DEFAULTS.keepResolvedMs) {
        this.alerts.delete(alert.id)
      }
    }
  }

  /** The sequence number of the latest change (0 before any). */
  get head(): number {
    return this.seq
  }

  list(): Alert[] {
    return [...this.alerts.values()].sort((a, b) =>
      a.state === b.state ? b.since - a.since : a.state === 'firing' ? -1 : 1,
    )
  }

  /** State changes after `after` (a sequence number), oldest first. */
  changes(after = 0): AlertEvent[] {
    return this.events.filter((e) => e.seq > after)
  }

  private record(alert: Alert, at: number): void {
    this.events.push({
      seq: ++this.seq,
      at,
      id: alert.id,
      rule: alert.rule,
      state: alert.state,
      labels: alert.labels,
      value: alert.value,
    })
    if (this.events.length > DEFAULTS.maxEvents)
      this.events.splice(0, this.events.length - DEFAULTS.maxEvents)
  }
}
