import type { ServiceDirectory } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/**
 * PRE: the gateway's own liveness and readiness (ready once it has read the
 * registry); readiness also says which configuration version it runs.
 */
export function health(
  directory: ServiceDirectory,
  details: () => Record<string, unknown> = () => ({}),
): GatewayFilter {
  return {
    name: 'health',
    stage: 'pre',
    run(context) {
      if (context.path !== '/health/live' && context.path !== '/health/ready') return
      const ready = context.path === '/health/live' || directory.synced
      const body = JSON.stringify(
        context.path === '/health/live'
          ? { status: 'ok' }
          : {
              status: ready ? 'ready' : 'not-ready',
              checks: { registry: { ok: directory.synced } },
              ...details(),
            },
      )
      context.writeHead({
        status: ready ? 200 : 503,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      })
      context.res.end(body)
      context.handled = true
    },
  }
}
