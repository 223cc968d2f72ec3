import type { FastifyInstance } from 'fastify'
import type { RouteInfo } from '../registry/instance.js'
import type { Readiness } from './readiness.js'

export interface HealthInfo {
  service: string
  instance: string
  version: string
  startedAt: string
}

/**
 * `/health/live`, `/health/ready` and `/health`; internal routes, never
 * forwarded by the gateway. `details` adds members to `/health` (the
 * configuration version an instance runs, for one).
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  readiness: Readiness,
  info: HealthInfo,
  details: () => Record<string, unknown> = () => ({}),
): RouteInfo[] {
  app.get('/health/live', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/health/ready', { schema: { hide: true } }, async (_request, reply) => {
    const report = await readiness.evaluate()
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not-ready', ...report })
  })
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const report = await readiness.evaluate()
    const uptimeS = Math.round((Date.now() - Date.parse(info.startedAt)) / 1000)
    return reply
      .code(report.ready ? 200 : 503)
      .send({ ...info, uptimeS, status: report.ready ? 'ready' : 'not-ready', ...report, ...details() })
  })
  return ['/health/live', '/health/ready', '/health'].map((url) => ({
    method: 'GET',
    url,
    access: 'internal',
  }))
}
