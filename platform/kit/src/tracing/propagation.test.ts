import { context, SpanKind, trace } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callPolicy } from '../client/call-policy.js'
import { ClientMetrics } from '../client/client-metrics.js'
import { DependencyClient } from '../client/dependency-client.js'
import { staticSource } from '../client/instance-source.js'
import { createHttpApp } from '../http/create-app.js'
import { createLogger } from '../log/logger.js'
import type { Envelope } from '../messaging/envelope.js'
import { writeAllToOutbox } from '../messaging/outbox.js'
import { publishSpan } from '../messaging/outbox-relay.js'
import { inRequestContext, installServerSpans } from './server-spans.js'
import {
  contextFromTraceparent,
  currentTraceparent,
  formatTraceparent,
  parseTraceparent,
} from './trace-context.js'
import { createTracing, type Tracing } from './tracer-provider.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`

describe('traceparent', () => {
  it('parses and formats the W3C header', () => {
    const parsed = parseTraceparent(PARENT)
    expect(parsed).toMatchObject({
      traceId: TRACE_ID,
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    })
    expect(formatTraceparent(parsed!)).toBe(PARENT)
  })

  it('refuses malformed values, all-zero ids and version ff', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`,
    ])
      expect(parseTraceparent(bad)).toBeUndefined()
  })

  it('keeps a later version readable (fields after the flags are ignored)', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-00f067aa0ba902b7-01-more`)?.traceId).toBe(TRACE_ID)
  })
})

describe('propagation', () => {
  let tracing: Tracing
  const exporter = new InMemorySpanExporter()
  const spans = async (): Promise<ReadableSpan[]> => {
    await tracing.flush()
    return exporter.getFinishedSpans()
  }
  beforeAll(() => {
    tracing = createTracing({ service: 'test', instance: 'test-1', endpoint: 'http://unused', exporter })
  })
  afterAll(() => tracing.shutdown())

  it('over HTTP: the server span joins the caller trace, and a call made in the handler carries it on', async () => {
    const log = createLogger({ service: 'test', instance: 'test-1', level: 'silent' })
    const downstream = createHttpApp({ log })
    installServerSpans(downstream, tracing.tracer, /^\/health/)
    downstream.get(
      '/echo',
      inRequestContext(async (request) => ({ traceparent: request.headers['traceparent'] })),
    )
    const url = await downstream.listen({ host: '127.0.0.1', port: 0 })
    const client = new DependencyClient('down', staticSource('down', [url]), callPolicy({ retries: 0 }), {
      metrics: ClientMetrics.of(new Registry()),
      tracer: tracing.tracer,
    })
    const upstream = createHttpApp({ log })
    installServerSpans(upstream, tracing.tracer, /^\/health/)
    upstream.get(
      '/front',
      inRequestContext(async () => ({
        active: currentTraceparent(),
        downstream: await client.get<{ traceparent: string }>('/echo'),
      })),
    )
    try {
      const res = await upstream.inject({ method: 'GET', url: '/front', headers: { traceparent: PARENT } })
      const body = res.json() as { active: string; downstream: { traceparent: string } }
      const all = await spans()
      const server = all.find((s) => s.name === 'GET /front')!
      const call = all.find((s) => s.kind === SpanKind.CLIENT && s.name === 'down GET /echo')!
      const downstreamServer = all.find((s) => s.name === 'GET /echo')!
      expect(server.spanContext().traceId).toBe(TRACE_ID)
      expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')
      expect(body.active).toBe(formatTraceparent(server.spanContext()))
      expect(call.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
      expect(body.downstream.traceparent).toBe(formatTraceparent(call.spanContext()))
      expect(downstreamServer.spanContext().traceId).toBe(TRACE_ID)
      expect(downstreamServer.parentSpanContext?.spanId).toBe(call.spanContext().spanId)
    } finally {
      await client.close()
      await upstream.close()
      await downstream.close()
    }
  })

  it('over messages: the outbox stamps the active trace, the relay span parents the consumers', async () => {
    const written: string[] = []
    const tx = {
      query: async (_text: string, params?: unknown[]) => {
        // The outbox sends its events as one JSON array parameter.
        written.push(...(JSON.parse(params?.[0] as string) as Envelope[]).map((e) => JSON.stringify(e)))
        return { rows: [], rowCount: 1 } as never
      },
    }
    const span = tracing.tracer.startSpan('request', {}, contextFromTraceparent(PARENT))
    const [envelope] = await context.with(trace.setSpan(context.active(), span), () =>
      writeAllToOutbox(tx, 'catalog', [{ type: 'catalog.product.created', key: 'p1', data: {} }]),
    )
    span.end()
    expect(envelope!.traceparent).toBe(formatTraceparent(span.spanContext()))
    expect((JSON.parse(written[0]!) as Envelope).traceparent).toBe(envelope!.traceparent)

    const publish = publishSpan(tracing.tracer, envelope as Envelope)!
    publish.end()
    expect(publish.spanContext().traceId).toBe(TRACE_ID)
    expect(envelope!.traceparent).toBe(formatTraceparent(publish.spanContext()))
    const recorded = (await spans()).find((s) => s.name === 'publish catalog.product.created')!
    expect(recorded.parentSpanContext?.spanId).toBe(span.spanContext().spanId)
    expect(recorded.kind).toBe(SpanKind.PRODUCER)
  })

  it('outside any span, nothing is stamped', async () => {
    const tx = { query: async () => ({ rows: [], rowCount: 1 }) as never }
    const [envelope] = await writeAllToOutbox(tx, 'catalog', [
      { type: 'catalog.product.created', key: 'p1', data: {} },
    ])
    expect(envelope!.traceparent).toBeUndefined()
    expect(publishSpan(tracing.tracer, envelope as Envelope)).toBeUndefined()
  })
})
