import { describe, expect, it } from 'vitest'
import { LogStore, type ShippedLine } from './log-store.js'
import { spansFromOtlp } from './otlp.js'
import { SpanStore, type StoredSpan } from './span-store.js'

const T = 'a'.repeat(32)
const line = (instance: string, fields: Record<string, unknown>, at = 1_000): ShippedLine => ({
  instance,
  service: instance.replace(/-\d+$/, ''),
  stream: 'stdout',
  line: JSON.stringify({ level: 'info', time: new Date(at).toISOString(), msg: 'm', ...fields }),
  at,
})

describe('LogStore', () => {
  it('finds lines by service, instance, level, time, trace id and free text', () => {
    const store = new LogStore({ maxLines: 1_000 })
    store.add([
      line('catalog-1', { msg: 'request', trace_id: T, request_id: 'R-1' }, 1_000),
      line('catalog-2', { level: 'warn', msg: 'slow' }, 2_000),
      line('inventory-1', { level: 'error', msg: 'failed', trace_id: T, orderId: 'ORD-42' }, 3_000),
      {
        instance: 'inventory-1',
        service: 'inventory',
        stream: 'stderr',
        line: 'plain text crash',
        at: 4_000,
      },
    ])
    expect(store.search({ service: 'catalog' }).map((e) => e.instance)).toEqual(['catalog-1', 'catalog-2'])
    expect(store.search({ instance: 'catalog-2' })).toHaveLength(1)
    expect(store.search({ level: 'warn' }).map((e) => e.msg)).toEqual(['slow', 'failed', 'plain text crash'])
    expect(store.search({ traceId: T }).map((e) => e.instance)).toEqual(['catalog-1', 'inventory-1'])
    expect(store.search({ text: 'ord-42' })[0]!.msg).toBe('failed')
    expect(store.search({ since: 2_000, until: 3_000 })).toHaveLength(2)
    expect(store.search({ traceId: T, text: 'r-1' })).toHaveLength(1)
  })

  it('keeps the newest lines, forgets the oldest and their trace index, and follows by sequence', () => {
    const store = new LogStore({ maxLines: 1_000 })
    for (let i = 0; i < 2_500; i++) store.add([line('catalog-1', { n: i, trace_id: i < 10 ? T : undefined })])
    expect(store.size).toBe(1_000)
    expect(store.search({ limit: 1 })[0]!.line).toContain('"n":2499')
    expect(store.search({ traceId: T })).toEqual([])
    expect(store.search({ text: '"n":1499' })).toHaveLength(0)
    const head = store.head - 1
    store.add([line('catalog-1', { msg: 'new' })])
    expect(store.search({ after: head }).map((e) => e.msg)).toEqual(['new'])
  })

  it('searches fifty thousand lines by free text', () => {
    const store = new LogStore()
    const batch: ShippedLine[] = []
    for (let i = 0; i < 50_000; i++) batch.push(line(`catalog-${i % 3}`, { orderId: `ORD-${i}` }))
    store.add(batch)
    const found = store.search({ text: 'ORD-31337"' })
    expect(found).toHaveLength(1)
    expect(found[0]!.line).toContain('ORD-31337')
  })
})

const span = (
  id: string,
  parent: string | undefined,
  service: string,
  extra: Partial<StoredSpan> = {},
): StoredSpan => ({
  traceId: T,
  spanId: id.padStart(16, '0'),
  parentSpanId: parent?.padStart(16, '0'),
  name: `${service} work`,
  kind: 2,
  service,
  instance: `${service}-1`,
  startMs: 1_000 + Number.parseInt(id, 16),
  durationMs: 5,
  status: 0,
  statusMessage: undefined,
  attributes: {},
  ...extra,
})

describe('SpanStore', () => {
  it('groups spans by trace, finds a trace by request id, and sees the calls between services', () => {
    const store = new SpanStore()
    store.add([
      span('1', undefined, 'gateway', { attributes: { 'trellis.request_id': 'req-1' } }),
      span('2', '1', 'storefront'),
      span('3', '2', 'catalog'),
      span('4', '2', 'inventory', { status: 2 }),
      span('5', '3', 'catalog'),
    ])
    expect(store.get('req-1')).toHaveLength(5)
    const [summary] = store.list()
    expect(summary).toMatchObject({
      traceId: T,
      rootService: 'gateway',
      spans: 5,
      errors: 1,
      requestId: 'req-1',
    })
    expect(store.list({ errors: true })).toHaveLength(1)
    expect(store.list({ service: 'identity' })).toHaveLength(0)
    expect(store.edges()).toEqual(
      expect.arrayContaining([
        { from: 'gateway', to: 'storefront', count: 1, errors: 0 },
        { from: 'storefront', to: 'catalog', count: 1, errors: 0 },
        { from: 'storefront', to: 'inventory', count: 1, errors: 1 },
      ]),
    )
    expect(store.edges()).toHaveLength(3)
  })

  it('drops the oldest traces whole beyond its bound', () => {
    const store = new SpanStore({ maxSpans: 1_000 })
    for (let t = 0; t < 30; t++)
      store.add(
        Array.from({ length: 50 }, (_, i) => ({
          ...span((i + 1).toString(16), i ? '1' : undefined, 'catalog'),
          traceId: t.toString(16).padStart(32, '0'),
        })),
      )
    expect(store.size).toEqual({ traces: 20, spans: 1_000 })
    expect(store.get('0'.repeat(32))).toBeUndefined()
    expect(store.get((29).toString(16).padStart(32, '0'))).toHaveLength(50)
  })
})

describe('OTLP/HTTP JSON', () => {
  it('reads resource, ids, times, status and attributes; skips malformed spans', () => {
    const { spans, rejected } = spansFromOtlp({
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'catalog' } },
              { key: 'service.instance.id', value: { stringValue: 'catalog-2' } },
            ],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: T,
                  spanId: 'b'.repeat(16),
                  parentSpanId: 'c'.repeat(16),
                  name: 'GET /products/:id',
                  kind: 2,
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000000012500000',
                  attributes: [
                    { key: 'http.response.status_code', value: { intValue: '200' } },
                    { key: 'trellis.request_id', value: { stringValue: 'r1' } },
                  ],
                  status: { code: 2, message: 'boom' },
                },
                { traceId: 'not-hex', spanId: 'x' },
              ],
            },
          ],
        },
      ],
    })
    expect(rejected).toBe(1)
    expect(spans).toEqual([
      {
        traceId: T,
        spanId: 'b'.repeat(16),
        parentSpanId: 'c'.repeat(16),
        name: 'GET /products/:id',
        kind: 2,
        service: 'catalog',
        instance: 'catalog-2',
        startMs: 1_700_000_000_000,
        durationMs: 12.5,
        status: 2,
        statusMessage: 'boom',
        attributes: { 'http.response.status_code': 200, 'trellis.request_id': 'r1' },
      },
    ])
  })
})
