import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { defineSettings, loadSettings, setting } from '../config/settings.js'
import { QUIET_PATHS } from '../http/create-app.js'
import type { KitFeature } from '../service/feature.js'
import { FastHistogram } from './fast-histogram.js'

export const MetricsSettings = defineSettings({
  requests: setting(
    Type.Boolean(),
    true,
    'Count and time every request by route and status (the RED series the console charts and alerts on).',
    { env: 'TRELLIS_METRICS_REQUESTS', apply: 'restart' },
  ),
})

/** Seconds; from a fast cache hit to a request that waited on a slow dependency. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * One instance's registry: every series labelled with its service and
 * instance, and the process's own (CPU, memory, heap, event-loop lag).
 */
export function instanceMetrics(service: string, instance: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service, instance })
  collectDefaultMetrics({ register: registry })
  return registry
}

/**
 * Rate, errors and duration per route: `trellis_http_request_duration_seconds`
 * with method, route (template, or the gateway's route prefix) and status.
 * Observe with `at(\`${method} ${status} ${route}\`, [method, route, status])`.
 */
export function requestDurations(registry: Registry): FastHistogram {
  return new FastHistogram({
    name: 'trellis_http_request_duration_seconds',
    help: 'Requests served, by method, route template and status, with their duration.',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [registry],
  })
}

/** Times every request of a Fastify app but health and metrics probes, by route template. */
export function timeRequests(app: FastifyInstance, registry: Registry): void {
  const duration = requestDurations(registry)
  app.addHook('onResponse', (request, reply, done) => {
    if (!QUIET_PATHS.test(request.url)) {
      const { method } = request
      const route = request.routeOptions.url ?? 'unmatched'
      const status = reply.statusCode
      duration
        .at(`${method} ${status} ${route}`, [method, route, String(status)])
        .observe(reply.elapsedTime / 1000)
    }
    done()
  })
}

/**
 * GET /metrics in the Prometheus text format, from one registry per
 * instance (`ctx.metrics`) that other features and the service's own code
 * add series to: the process's own, and rate, errors and duration per route.
 * Internal: the gateway never forwards it.
 */
export const metricsFeature: KitFeature = {
  name: 'metrics',
  setup({ context, addRoute, definition, app, env }) {
    const settings = loadSettings(MetricsSettings, env)
    const registry = instanceMetrics(definition.name, context.instanceId)
    context.metrics = registry
    if (settings.requests) timeRequests(app, registry)
    addRoute({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics of this instance',
      access: 'internal',
      schema: { response: {} },
      handler: async (_request, reply) => {
        reply.type(registry.contentType)
        return (await registry.metrics()) as never
      },
    })
    return undefined
  },
}
