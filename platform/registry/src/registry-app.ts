import type { ServerResponse } from 'node:http'
import { Type } from '@sinclair/typebox'
import {
  createHttpApp,
  defineError,
  instanceMetrics,
  type Logger,
  Readiness,
  registerHealthRoutes,
  timeRequests,
} from '@trellis/kit/platform'
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge } from 'prom-client'
import { LeaseTable } from './lease-table.js'

export const RegistryServerErrors = {
  unknownInstance: defineError(
    'TRELLIS_REGISTRY_INSTANCE_UNKNOWN',
    404,
    'instance %s of %s is not registered',
  ),
} as const

export interface RegistryOptions {
  log: Logger
  ttlMs: number
  heartbeatIntervalMs: number
  sweepIntervalMs: number
  /** Upper bound for a blocking query's wait. */
  maxWaitMs: number
  /** This registry's instance id, a label of its metrics. */
  instance?: string
  now?: () => number
}

const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' })
const InstanceId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })
const Params = Type.Object({ service: Name, id: InstanceId })
const RegistrationBody = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:_-]+$' }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  version: Type.String({ maxLength: 64 }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
})
const WatchQuery = Type.Object({
  epoch: Type.Optional(Type.String({ maxLength: 64 })),
  index: Type.Optional(Type.Integer({ minimum: 0 })),
  wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
})

/**
 * The registry's HTTP API (documented in docs/registry.md):
 * register, heartbeat, deregister, and read the catalogue, optionally as a
 * blocking query that answers when the index moves.
 */
export function createRegistryApp(options: RegistryOptions): { app: FastifyInstance; table: LeaseTable } {
  const { log } = options
  const table = new LeaseTable({
    ttlMs: options.ttlMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    ...(options.now ? { now: options.now } : {}),
  })
  // Heartbeats and watches are the registry's steady hum: logged at debug.
  const app = createHttpApp({
    log,
    bodyLimit: 256 * 1024,
    quietPaths: /^\/(health|metrics$|v1\/services(\?|$|\/[^/]+(\?|$)|\/.+\/heartbeat))/,
  })
  const startedAt = Date.now()
  // One flag, flipped by the same timer that announces the end of the warm-up:
  // a clock reading could still say "warming" in the snapshot that announces
  // its end, and watchers would then keep instances that never came back.
  let warm = true
  const warmingUp = () => warm

  table.onChange((change) => {
    if (change)
      log.info(
        { service: change.instance.service, id: change.instance.id, url: change.instance.url },
        `instance ${change.kind}`,
      )
  })

  // Watchers waiting for the index to move.
  const waiters = new Set<() => void>()
  table.onChange(() => {
    for (const wake of waiters) wake()
    waiters.clear()
  })

  const sweep = setInterval(() => table.expire(), options.sweepIntervalMs)
  // When the warm-up ends, move the index so that watchers drop instances that never came back.
  const warmup = setTimeout(() => {
    warm = false
    table.touch()
  }, options.ttlMs)
  // Blocking queries would hold the close for up to maxWaitMs: answer them now.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    clearInterval(sweep)
    clearTimeout(warmup)
    for (const wake of [...waiters]) wake()
  })

  // GET /metrics, as every instance serves it: requests by route (watches and heartbeats included,
  // long-polls aside), the process, the leases held per service and the changes by kind.
  const instance = options.instance ?? 'registry-1'
  const metrics = instanceMetrics('registry', instance)
  timeRequests(app, metrics)
  new Gauge({
    name: 'trellis_registry_instances',
    help: 'Instances holding a lease, by the service they registered for.',
    // Not `service`: every series already carries service="registry".
    labelNames: ['registered_service'],
    registers: [metrics],
    collect() {
      this.reset()
      for (const [service, instances] of Object.entries(table.snapshot().services))
        this.set({ registered_service: service }, instances.length)
    },
  })
  const changes = new Counter({
    name: 'trellis_registry_changes_total',
    help: 'Registrations, updates, deregistrations and expired leases.',
    labelNames: ['kind'],
    registers: [metrics],
  })
  table.onChange((change) => {
    if (change) changes.inc({ kind: change.kind })
  })
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.contentType)
    return metrics.metrics()
  })

  registerHealthRoutes(app, new Readiness(), {
    service: 'registry',
    instance,
    version: '0.1.0',
    startedAt: new Date(startedAt).toISOString(),
  })

  app.put(
    '/v1/services/:service/instances/:id',
    { schema: { params: Params, body: RegistrationBody } },
    async (request, reply) => {
      const { service, id } = request.params as { service: string; id: string }
      const body = request.body as {
        host: string
        port: number
        version: string
        metadata: Record<string, unknown>
      }
      const { instance, created } = table.register({ service, id, ...body })
      return reply.code(created ? 201 : 200).send({ instance, lease: table.lease })
    },
  )

  app.put(
    '/v1/services/:service/instances/:id/heartbeat',
    { schema: { params: Params } },
    async (request) => {
      const { service, id } = request.params as { service: string; id: string }
      if (!table.heartbeat(service, id)) throw RegistryServerErrors.unknownInstance(id, service)
      return { lease: table.lease }
    },
  )

  app.delete(
    '/v1/services/:service/instances/:id',
    { schema: { params: Params } },
    async (request, reply) => {
      const { service, id } = request.params as { service: string; id: string }
      if (!table.deregister(service, id)) throw RegistryServerErrors.unknownInstance(id, service)
      return reply.code(204).send()
    },
  )

  const blockUntilChanged = async (
    query: { epoch?: string; index?: number; wait?: number },
    signal: AbortSignal,
  ) => {
    // Answer at once unless the caller already holds this run's current
    // state; after a registry restart the epoch differs, whatever the index.
    if (
      closing ||
      query.index === undefined ||
      query.index !== table.index ||
      (query.epoch !== undefined && query.epoch !== table.epoch)
    )
      return
    const waitMs = Math.min(query.wait ?? 30_000, options.maxWaitMs)
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      waiters.add(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  app.get('/v1/services', { schema: { querystring: WatchQuery } }, async (request, reply) => {
    await blockUntilChanged(
      request.query as { epoch?: string; index?: number; wait?: number },
      abortOnClose(reply.raw),
    )
    reply.header('x-trellis-index', String(table.index))
    return table.snapshot(warmingUp())
  })

  app.get(
    '/v1/services/:service',
    { schema: { params: Type.Object({ service: Name }), querystring: WatchQuery } },
    async (request, reply) => {
      const { service } = request.params as { service: string }
      await blockUntilChanged(
        request.query as { epoch?: string; index?: number; wait?: number },
        abortOnClose(reply.raw),
      )
      reply.header('x-trellis-index', String(table.index))
      return {
        index: table.index,
        service,
        instances: table.instances(service),
        ...(warmingUp() ? { warmingUp: true } : {}),
      }
    },
  )

  return { app, table }
}

/**
 * Aborts when the response closes: the caller went away during a blocking
 * query (or the answer was sent). On the response, not its socket: a
 * keep-alive socket carries many requests, and a listener per request on it
 * would pile up.
 */
function abortOnClose(response: ServerResponse): AbortSignal {
  const controller = new AbortController()
  response.once('close', () => controller.abort())
  return controller.signal
}
