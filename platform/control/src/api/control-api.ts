import { Type } from '@sinclair/typebox'
import {
  createHttpApp,
  defineError,
  type Logger,
  Readiness,
  registerHealthRoutes,
} from '@trellis/kit/platform'
import type { FastifyInstance } from 'fastify'
import type { InstanceStatus } from '../reconcile/instance-spec.js'

export const ControlErrors = {
  unknownInstance: defineError('TRELLIS_CONTROL_INSTANCE_UNKNOWN', 404, 'no instance %s'),
  unknownService: defineError('TRELLIS_CONTROL_SERVICE_UNKNOWN', 404, 'no service %s in the topology'),
} as const

export interface ControlApiDeps {
  log: Logger
  status: () => SystemStatus
  restart: (key: string) => Promise<boolean>
  kill: (key: string) => boolean
  hold: (key: string) => boolean
  release: (key: string) => boolean
  scale: (service: string, replicas: number) => boolean
  shutdown: () => void
}

export interface SystemStatus {
  name: string
  startedAt: string
  ports: Record<string, number>
  postgres: { mode: 'embedded' | 'external'; port?: number; pid?: number; running: boolean }
  /** The event transport every service uses. */
  messaging: { transport: string }
  instances: InstanceStatus[]
}

/** The control loop's HTTP API on 127.0.0.1 (the CLI and, later, the console use it). */
export function createControlApi(deps: ControlApiDeps): FastifyInstance {
  const app = createHttpApp({ log: deps.log })
  registerHealthRoutes(app, new Readiness(), {
    service: 'control',
    instance: 'control',
    version: '0.1.0',
    startedAt: new Date().toISOString(),
  })
  const Key = Type.Object({ key: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) })

  app.get('/v1/status', async () => deps.status())

  app.post('/v1/instances/:key/restart', { schema: { params: Key } }, async (request, reply) => {
    const { key } = request.params as { key: string }
    if (!(await deps.restart(key))) throw ControlErrors.unknownInstance(key)
    return reply.code(202).send({ key, action: 'restart' })
  })

  app.post('/v1/instances/:key/kill', { schema: { params: Key } }, async (request, reply) => {
    const { key } = request.params as { key: string }
    if (!deps.kill(key)) throw ControlErrors.unknownInstance(key)
    return reply.code(202).send({ key, action: 'kill' })
  })

  app.post('/v1/instances/:key/stop', { schema: { params: Key } }, async (request, reply) => {
    const { key } = request.params as { key: string }
    if (!deps.hold(key)) throw ControlErrors.unknownInstance(key)
    return reply.code(202).send({ key, action: 'stop' })
  })

  app.post('/v1/instances/:key/start', { schema: { params: Key } }, async (request, reply) => {
    const { key } = request.params as { key: string }
    if (!deps.release(key)) throw ControlErrors.unknownInstance(key)
    return reply.code(202).send({ key, action: 'start' })
  })

  app.post(
    '/v1/services/:service/scale',
    {
      schema: {
        params: Type.Object({ service: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }) }),
        body: Type.Object({ replicas: Type.Integer({ minimum: 0, maximum: 32 }) }),
      },
    },
    async (request, reply) => {
      const { service } = request.params as { service: string }
      const { replicas } = request.body as { replicas: number }
      if (!deps.scale(service, replicas)) throw ControlErrors.unknownService(service)
      return reply.code(202).send({ service, replicas })
    },
  )

  app.post('/v1/shutdown', async (_request, reply) => {
    setImmediate(deps.shutdown)
    return reply.code(202).send({ action: 'shutdown' })
  })

  return app
}
