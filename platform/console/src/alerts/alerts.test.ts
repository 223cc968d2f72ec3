import { describe, expect, it } from 'vitest'
import type { InstanceView } from '../scrape/fleet.js'
import { bucketQuantile, parsePrometheusText } from '../scrape/prometheus-text.js'
import { AlertBook } from './alert-book.js'
import { prometheusRuleFile, RULES } from './rules.js'

const view = (instance: string, extra: Partial<InstanceView> = {}): InstanceView => ({
  instance,
  service: instance.replace(/-\d+$/, ''),
  kind: 'service',
  url: 'http://127.0.0.1:1',
  registered: true,
  phase: 'running',
  ready: true,
  restarts: 0,
  up: true,
  hasMetrics: true,
  scrapedAt: 0,
  scrapeError: undefined,
  latest: undefined,
  history: [],
  routes: [],
  breakers: [],
  sagaOutcomes: [],
  ...extra,
})

describe('alerts', () => {
  it('fires when a rule holds and resolves when it stops, once each', () => {
    const book = new AlertBook()
    book.evaluate([view('catalog-1'), view('catalog-2')], 1_000)
    expect(book.list()).toEqual([])
    book.evaluate([view('catalog-1'), view('catalog-2', { up: false, scrapeError: 'ECONNREFUSED' })], 2_000)
    book.evaluate([view('catalog-1'), view('catalog-2', { up: false, phase: 'backoff' })], 3_000)
    book.evaluate([view('catalog-1'), view('catalog-2')], 4_000)
    expect(book.changes().map((e) => `${e.rule} ${e.labels['instance']} ${e.state}`)).toEqual([
      'InstanceDown catalog-2 firing',
      'InstanceDown catalog-2 resolved',
    ])
    expect(book.list()[0]).toMatchObject({ state: 'resolved', since: 2_000, resolvedAt: 4_000 })
  })

  it('does not call an instance down while it is started for the first time, but does once it was restarted', () => {
    const book = new AlertBook()
    book.evaluate([view('order-1', { up: false, phase: 'starting', restarts: 0 })], 1_000)
    expect(book.list()).toEqual([])
    book.evaluate([view('order-1', { up: false, phase: 'starting', restarts: 1 })], 2_000)
    expect(book.changes().map((e) => `${e.rule} ${e.labels['instance']} ${e.state}`)).toEqual([
      'InstanceDown order-1 firing',
    ])
  })

  it('judges error rate, latency, dead letters, outbox growth and crash loops', () => {
    const point = (t: number, extra: Record<string, unknown>) => ({
      t,
      rps: 10,
      errorsPerS: 0,
      p99Ms: 20,
      eventLoopLagMs: 1,
      rssMb: 50,
      heapMb: 20,
      cpuPct: 5,
      outboxBacklog: 0,
      deadLetters: 0,
      ...extra,
    })
    const book = new AlertBook()
    book.evaluate(
      [
        view('catalog-1', { history: [point(50_000, { errorsPerS: 2 }), point(60_000, { errorsPerS: 2 })] }),
        view('inventory-1', {
          history: [point(50_000, { p99Ms: 2_500 })],
          latest: point(50_000, { deadLetters: 3 }),
        }),
        view('order-1', {
          history: [point(10_000, { outboxBacklog: 20 }), point(60_000, { outboxBacklog: 80 })],
        }),
        view('payment-1', { phase: 'crash-loop', restarts: 5 }),
      ],
      60_000,
    )
    expect(
      book
        .list()
        .map((a) => `${a.rule} ${Object.values(a.labels).join('/')}`)
        .sort(),
    ).toEqual([
      'CrashLoop payment/payment-1',
      'DeadLettersPresent inventory',
      'HighErrorRate catalog/catalog-1',
      'HighLatencyP99 inventory/inventory-1',
      'InstanceDown payment/payment-1',
      'OutboxBacklogGrowing order',
    ])
  })

  it('writes the rules as a Prometheus rule file', () => {
    const file = prometheusRuleFile()
    for (const rule of RULES) expect(file).toContain(`- alert: ${rule.name}`)
    expect(file).toContain('expr: "up == 0"')
  })
})

describe('Prometheus text', () => {
  it('parses samples with labels and escapes, and interpolates quantiles from buckets', () => {
    const samples = parsePrometheusText(
      '# HELP x help\n# TYPE x counter\nx{a="1",b="q\\"uote"} 3\ny 1.5e3\nbad line\nz{le="+Inf"} +Inf\n',
    )
    expect(samples).toEqual([
      { name: 'x', labels: { a: '1', b: 'q"uote' }, value: 3 },
      { name: 'y', labels: {}, value: 1500 },
      { name: 'z', labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ])
    const buckets = new Map([
      [0.1, 50],
      [1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ])
    expect(bucketQuantile(0.5, buckets)).toBeCloseTo(0.1)
    expect(bucketQuantile(0.75, buckets)).toBeCloseTo(0.55)
    expect(bucketQuantile(0.5, new Map())).toBeUndefined()
  })
})
