import { Type } from '@sinclair/typebox'
import { createHttpApp, type Logger, Readiness, registerHealthRoutes } from '@trellis/kit/platform'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { AlertBook } from './alerts/alert-book.js'
import { prometheusRuleFile, RULES } from './alerts/rules.js'
import { ConsoleErrors } from './errors.js'
import { serveStaticUi } from './http/static-files.js'
import { Fleet } from './scrape/fleet.js'
import { LogStore, type ShippedLine } from './store/log-store.js'
import { type OtlpTraceRequest, spansFromOtlp } from './store/otlp.js'
import { SpanStore } from './store/span-store.js'

export interface ConsoleOptions {
  log: Logger
  registryUrl?: string | undefined
  controlUrl?: string | undefined
  scrapeIntervalMs?: number
  maxSpans?: number
  maxLogLines?: number
  /** The built UI (vite's output); the JSON API works without it. */
  uiDir?: string | undefined
}

export interface ConsoleServer {
  app: FastifyInstance
  spans: SpanStore
  logs: LogStore
  fleet: Fleet
  alerts: AlertBook
  /** Starts scraping and alert evaluation. */
  start(): void
  stop(): Promise<void>
}

// The UI polls the API every few seconds and the control loop ships logs constantly: those requests log at debug.
const QUIET = /^\/(health|metrics|v1|api|assets)(\/|$)|^\/$/

/**
 * The console: an OTLP/HTTP trace collector (POST /v1/traces), a log store
 * the control loop ships every instance's lines to (POST /v1/logs), a
 * scraper of every instance's /metrics with alert rules, JSON APIs over all
 * of it under /api, and the web UI. Everything is kept in memory, bounded.
 */
export function createConsole(options: ConsoleOptions): ConsoleServer {
  const { log } = options
  const spans = new SpanStore({ ...(options.maxSpans ? { maxSpans: options.maxSpans } : {}) })
  const logs = new LogStore({ ...(options.maxLogLines ? { maxLines: options.maxLogLines } : {}) })
  const fleet = new Fleet({ registryUrl: options.registryUrl, controlUrl: options.controlUrl, log })
  const alerts = new AlertBook()
  const app = createHttpApp({ log, bodyLimit: 16 * 1_048_576, quietPaths: QUIET })
  registerHealthRoutes(app, new Readiness(), {
    service: 'console',
    instance: 'console-1',
    version: '0.1.0',
    startedAt: new Date().toISOString(),
  })

  // --- collection -----------------------------------------------------------
  app.post('/v1/traces', async (req, reply) => {
    const type = String(req.headers['content-type'] ?? '')
    if (!type.includes('json')) throw ConsoleErrors.notJson(type || 'no content type')
    const { spans: received, rejected } = spansFromOtlp((req.body ?? {}) as OtlpTraceRequest)
    spans.add(received)
    return reply.send(rejected ? { partialSuccess: { rejectedSpans: rejected } } : {})
  })
  app.post(
    '/v1/logs',
    {
      schema: {
        body: Type.Object({
          lines: Type.Array(
            Type.Object({
              instance: Type.String({ maxLength: 100 }),
              service: Type.String({ maxLength: 100 }),
              stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
              line: Type.String(),
              at: Type.Number(),
            }),
            { maxItems: 50_000 },
          ),
        }),
      },
    },
    async (req, reply) => {
      logs.add((req.body as { lines: ShippedLine[] }).lines)
      return reply.code(204).send()
    },
  )

  // --- traces ---------------------------------------------------------------
  app.get('/api/traces', async (req) => {
    const q = req.query as Record<string, string | undefined>
    return {
      stored: spans.size,
      items: spans.list({
        service: q['service'] || undefined,
        errors: q['errors'] === 'true',
        minMs: q['minMs'] ? Number(q['minMs']) : undefined,
        limit: q['limit'] ? Number(q['limit']) : undefined,
      }),
    }
  })
  app.get(
    '/api/traces/:id',
    { schema: { params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' }) }) } },
    async (req) => {
      const { id } = req.params as { id: string }
      const found = spans.get(id.toLowerCase()) ?? spans.get(id)
      if (!found) throw ConsoleErrors.traceNotFound(id)
      return { traceId: found[0]!.traceId, spans: found }
    },
  )

  // --- logs -----------------------------------------------------------------
  app.get('/api/logs', async (req) => {
    const q = req.query as Record<string, string | undefined>
    const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v))
    const time = (v: string | undefined) =>
      v === undefined || v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : Date.parse(v)
    const started = performance.now()
    const items = logs.search({
      service: q['service'] || undefined,
      instance: q['instance'] || undefined,
      level: q['level'] || undefined,
      traceId: q['trace'] || undefined,
      text: q['q'] || undefined,
      since: time(q['since']),
      until: time(q['until']),
      after: num(q['after']),
      limit: num(q['limit']),
    })
    return {
      items,
      head: logs.head - 1,
      stored: logs.size,
      tookMs: Math.round((performance.now() - started) * 100) / 100,
    }
  })

  // --- instances, topology, metrics ------------------------------------------
  app.get('/api/instances', async () => ({
    items: fleet.instances().map(({ history: _h, ...rest }) => rest),
  }))
  app.get('/api/topology', async () => {
    const instances = fleet.instances()
    const services = new Map<string, { name: string; kind: string; instances: unknown[] }>()
    for (const v of instances) {
      const entry = services.get(v.service) ?? { name: v.service, kind: v.kind, instances: [] }
      entry.instances.push({
        instance: v.instance,
        up: v.up,
        ready: v.ready,
        phase: v.phase,
        rps: v.latest?.rps ?? 0,
        errorsPerS: v.latest?.errorsPerS ?? 0,
      })
      services.set(v.service, entry)
    }
    return { services: [...services.values()], edges: spans.edges() }
  })
  app.get('/api/metrics', async (req) => {
    const q = req.query as Record<string, string | undefined>
    return {
      items: fleet
        .instances()
        .filter(
          (v) =>
            (!q['service'] || v.service === q['service']) && (!q['instance'] || v.instance === q['instance']),
        )
        .filter((v) => v.hasMetrics)
        .map((v) => ({ instance: v.instance, service: v.service, history: v.history, routes: v.routes })),
    }
  })
  app.get('/api/breakers', async () => ({
    items: fleet
      .instances()
      .flatMap((v) => v.breakers.map((b) => ({ instance: v.instance, service: v.service, ...b }))),
  }))

  // --- alerts -----------------------------------------------------------------
  app.get('/api/alerts', async (req) => {
    const after = Number((req.query as { after?: string }).after ?? 0)
    return {
      items: alerts.list(),
      events: alerts.changes(Number.isFinite(after) ? after : 0),
      head: alerts.head,
    }
  })
  app.get('/api/alerts/rules', async () => ({
    items: RULES.map(({ evaluate: _e, ...rule }) => rule),
  }))
  app.get('/api/alerts/rules.yml', async (_req, reply) =>
    reply.type('application/yaml; charset=utf-8').send(prometheusRuleFile()),
  )

  // --- actions through the control loop ----------------------------------------
  const control = async (method: 'POST', path: string, body?: unknown) => {
    if (!options.controlUrl) throw ConsoleErrors.noControl()
    const res = await request(`${options.controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    })
    const text = await res.body.text()
    if (res.statusCode >= 300)
      throw ConsoleErrors.upstream('the control loop', String(res.statusCode), detail(text))
    return JSON.parse(text) as unknown
  }
  const Key = Type.Object({ key: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) })
  app.post('/api/instances/:key/restart', { schema: { params: Key } }, async (req, reply) =>
    reply
      .code(202)
      .send(await control('POST', `/v1/instances/${(req.params as { key: string }).key}/restart`)),
  )
  app.post(
    '/api/services/:service/scale',
    {
      schema: {
        params: Type.Object({ service: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }) }),
        body: Type.Object({ replicas: Type.Integer({ minimum: 0, maximum: 32 }) }),
      },
    },
    async (req, reply) =>
      reply
        .code(202)
        .send(
          await control(
            'POST',
            `/v1/services/${(req.params as { service: string }).service}/scale`,
            req.body,
          ),
        ),
  )

  // --- dead letters and sagas, from the services' own internal routes -------------
  const serviceUrls = () => {
    const urls = new Map<string, string>()
    for (const v of fleet.instances())
      if (v.kind === 'service' && v.up && v.url && !urls.has(v.service)) urls.set(v.service, v.url)
    return urls
  }
  app.get('/api/dead-letters', async () => {
    const items: unknown[] = []
    const asked: string[] = []
    await Promise.all(
      [...serviceUrls()].map(async ([service, url]) => {
        const res = await getMaybe(`${url}/messaging/dead-letters?replayed=false&limit=200`)
        if (!res) return
        asked.push(service)
        for (const letter of (res as { items: Array<Record<string, unknown>> }).items ?? [])
          items.push({ service, ...letter })
      }),
    )
    return { services: asked.sort(), items }
  })
  app.post(
    '/api/dead-letters/:service/:id/replay',
    {
      schema: {
        params: Type.Object({
          service: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }),
          id: Type.String({ pattern: '^\\d{1,18}$' }),
        }),
      },
    },
    async (req) => {
      const { service, id } = req.params as { service: string; id: string }
      const url = serviceUrls().get(service)
      if (!url) throw ConsoleErrors.noInstance(service)
      const res = await request(`${url}/messaging/dead-letters/${id}/replay`, {
        method: 'POST',
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      })
      const text = await res.body.text()
      if (res.statusCode >= 300) throw ConsoleErrors.upstream(service, String(res.statusCode), detail(text))
      return JSON.parse(text) as unknown
    },
  )
  // Services that run sagas serve GET /sagas (documented in docs/observability.md); others answer 404 and are skipped.
  app.get('/api/sagas', async () => {
    const items: unknown[] = []
    const services: string[] = []
    await Promise.all(
      [...serviceUrls()].map(async ([service, url]) => {
        const res = await getMaybe(`${url}/sagas?limit=200`)
        if (!res) return
        services.push(service)
        for (const saga of (res as { items?: Array<Record<string, unknown>> }).items ?? [])
          items.push({ service, ...saga })
      }),
    )
    const outcomes = fleet
      .instances()
      .flatMap((v) => v.sagaOutcomes.map((o) => ({ service: v.service, instance: v.instance, ...o })))
    return { services: services.sort(), items, outcomes }
  })

  app.get('/api/overview', async () => ({
    spans: spans.size,
    logLines: logs.size,
    instances: fleet.instances().length,
    firing: alerts.list().filter((a) => a.state === 'firing').length,
  }))

  serveStaticUi(app, options.uiDir)

  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const tick = async () => {
    try {
      await fleet.refresh()
      alerts.evaluate(fleet.instances())
    } catch (error) {
      log.warn({ err: error }, 'scrape round failed')
    }
  }
  return {
    app,
    spans,
    logs,
    fleet,
    alerts,
    start() {
      const interval = options.scrapeIntervalMs ?? 2_000
      const loop = () => {
        running = tick().finally(() => {
          timer = setTimeout(loop, interval)
        })
      }
      loop()
    },
    async stop() {
      clearTimeout(timer)
      await running
      clearTimeout(timer)
      await app.close()
    },
  }
}

async function getMaybe(url: string): Promise<unknown | undefined> {
  try {
    const res = await request(url, { headersTimeout: 3_000, bodyTimeout: 3_000 })
    const text = await res.body.text()
    return res.statusCode === 200 ? (JSON.parse(text) as unknown) : undefined
  } catch {
    return undefined
  }
}

function detail(text: string): string {
  try {
    const json = JSON.parse(text) as { detail?: string }
    return json.detail ?? text.slice(0, 200)
  } catch {
    return text.slice(0, 200)
  }
}
