import type { CatalogSnapshot, Logger } from '@trellis/kit/platform'
import { request } from 'undici'
import { derive, type MetricPoint, type RouteStats } from './instance-metrics.js'
import { parsePrometheusText, type Sample } from './prometheus-text.js'

/** What the control loop says about one instance (its GET /v1/status). */
export interface ControlInstance {
  key: string
  service: string
  kind: string
  phase: string
  port?: number
  ready: boolean
  restarts: number
}

/** One instance as the console sees it: discovery, health, and its scraped numbers. */
export interface InstanceView {
  instance: string
  service: string
  kind: string
  url: string | undefined
  /** Listed by the registry now. */
  registered: boolean
  phase: string | undefined
  ready: boolean | undefined
  restarts: number
  /** The last scrape reached the instance; undefined before the first. */
  up: boolean | undefined
  /** It serves /metrics (platform processes without one still count as up when they answer). */
  hasMetrics: boolean
  scrapedAt: number | undefined
  scrapeError: string | undefined
  latest: MetricPoint | undefined
  history: MetricPoint[]
  routes: RouteStats[]
  /** Circuit breakers of its clients: 0 closed, 1 open, 2 half-open. */
  breakers: Array<{ dependency: string; state: number }>
  /** Saga outcomes counted by the instance (trellis_saga_outcomes_total), when it runs sagas. */
  sagaOutcomes: Array<{ saga: string; outcome: string; count: number }>
}

export interface FleetOptions {
  registryUrl?: string | undefined
  controlUrl?: string | undefined
  log: Logger
  /** Points kept per instance: intervalMs × historyPoints is the charts' span. */
  historyPoints?: number
  scrapeTimeoutMs?: number
}

const DEFAULTS = {
  // At the default 2 s interval, 20 minutes of charts.
  historyPoints: 600,
  scrapeTimeoutMs: 1_500,
}

/**
 * Every instance of the system: found through the registry (and the control
 * loop's status, which still lists an instance that died and was
 * deregistered), scraped for its Prometheus metrics each interval, with a
 * bounded history of derived points per instance.
 */
export class Fleet {
  private readonly views = new Map<string, InstanceView>()
  private readonly lastSamples = new Map<string, { at: number; samples: Sample[] }>()
  private readonly historyPoints: number
  private readonly timeoutMs: number

  constructor(private readonly options: FleetOptions) {
    this.historyPoints = options.historyPoints ?? DEFAULTS.historyPoints
    this.timeoutMs = options.scrapeTimeoutMs ?? DEFAULTS.scrapeTimeoutMs
  }

  instances(): InstanceView[] {
    return [...this.views.values()].sort((a, b) =>
      a.instance.localeCompare(b.instance, 'en', { numeric: true }),
    )
  }

  get(instance: string): InstanceView | undefined {
    return this.views.get(instance)
  }

  /** One round: discover, then scrape every instance in parallel. */
  async refresh(): Promise<void> {
    const [catalog, control] = await Promise.all([this.catalog(), this.controlStatus()])
    const seen = new Set<string>()
    for (const [service, records] of Object.entries(catalog?.services ?? {})) {
      for (const record of records) {
        seen.add(record.id)
        const view = this.view(record.id, service, control?.get(record.id)?.kind ?? 'service')
        view.url = record.url
        view.registered = true
      }
    }
    for (const status of control?.values() ?? []) {
      seen.add(status.key)
      const view = this.view(status.key, status.service, status.kind)
      view.phase = status.phase
      view.ready = status.ready
      view.restarts = status.restarts
      view.kind = status.kind
      if (!catalog?.services[status.service]?.some((r) => r.id === status.key)) view.registered = false
      if (status.port && !view.url) view.url = `http://127.0.0.1:${status.port}`
    }
    // Gone from both (scaled down, or the control loop is not running and the registry dropped it).
    if (catalog || control)
      for (const id of this.views.keys())
        if (!seen.has(id)) {
          this.views.delete(id)
          this.lastSamples.delete(id)
        }
    await Promise.all([...this.views.values()].map((view) => this.scrape(view)))
  }

  private view(instance: string, service: string, kind: string): InstanceView {
    let view = this.views.get(instance)
    if (!view) {
      view = {
        instance,
        service,
        kind,
        url: undefined,
        registered: false,
        phase: undefined,
        ready: undefined,
        restarts: 0,
        up: undefined,
        hasMetrics: false,
        scrapedAt: undefined,
        scrapeError: undefined,
        latest: undefined,
        history: [],
        routes: [],
        breakers: [],
        sagaOutcomes: [],
      }
      this.views.set(instance, view)
    }
    return view
  }

  private async scrape(view: InstanceView): Promise<void> {
    const at = Date.now()
    view.scrapedAt = at
    if (!view.url) {
      view.up = false
      view.scrapeError = 'no address known'
      return
    }
    let status: number
    let text: string
    try {
      const res = await request(`${view.url}/metrics`, {
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      })
      status = res.statusCode
      text = await res.body.text()
    } catch (error) {
      view.up = false
      view.scrapeError = (error as Error).message
      this.lastSamples.delete(view.instance)
      return
    }
    view.up = true
    view.scrapeError = undefined
    view.hasMetrics = status === 200
    if (status !== 200) return
    const samples = parsePrometheusText(text)
    const previous = this.lastSamples.get(view.instance)
    const { point, routes } = derive(at, previous?.samples, samples, previous ? (at - previous.at) / 1000 : 0)
    this.lastSamples.set(view.instance, { at, samples })
    view.latest = point
    view.routes = routes
    if (previous) {
      view.history.push(point)
      if (view.history.length > this.historyPoints)
        view.history.splice(0, view.history.length - this.historyPoints)
    }
    view.breakers = samples
      .filter((s) => s.name === 'trellis_client_breaker_state')
      .map((s) => ({ dependency: s.labels['dependency'] ?? '?', state: s.value }))
    view.sagaOutcomes = samples
      .filter((s) => s.name === 'trellis_saga_outcomes_total')
      .map((s) => ({ saga: s.labels['saga'] ?? '?', outcome: s.labels['outcome'] ?? '?', count: s.value }))
  }

  private async catalog(): Promise<CatalogSnapshot | undefined> {
    if (!this.options.registryUrl) return undefined
    return getJson<CatalogSnapshot>(`${this.options.registryUrl}/v1/services`, this.timeoutMs).catch(
      (error) => {
        this.options.log.debug({ err: error }, 'registry unreachable')
        return undefined
      },
    )
  }

  private async controlStatus(): Promise<Map<string, ControlInstance> | undefined> {
    if (!this.options.controlUrl) return undefined
    const status = await getJson<{ instances: ControlInstance[] }>(
      `${this.options.controlUrl}/v1/status`,
      this.timeoutMs,
    ).catch(() => undefined)
    return status ? new Map(status.instances.map((i) => [i.key, i])) : undefined
  }
}

export async function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`)
  return JSON.parse(text) as T
}
