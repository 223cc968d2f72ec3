import { collectDefaultMetrics, Registry } from 'prom-client'
import type { KitFeature } from '../service/feature.js'

/**
 * GET /metrics in the Prometheus text format, from one registry per
 * instance (`ctx.metrics`) that other features and the service's own code
 * add series to. Internal: the gateway never forwards it.
 */
export const metricsFeature: KitFeature = {
  name: 'metrics',
  setup({ context, addRoute, definition }) {
    const registry = new Registry()
    registry.setDefaultLabels({ service: definition.name, instance: context.instanceId })
    collectDefaultMetrics({ register: registry })
    context.metrics = registry
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
