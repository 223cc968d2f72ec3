import type { Logger, ServiceDirectory, Topology } from '@trellis/kit/platform'
import { correlationId } from './filters/correlation-id.js'
import type { GatewayFilter } from './filters/filter.js'
import { health } from './filters/health.js'
import { pathGuard } from './filters/path-guard.js'
import { problemResponse } from './filters/problem-response.js'
import { proxy } from './filters/proxy.js'
import { responseHeaders } from './filters/response-headers.js'
import { routeMatch } from './filters/route-match.js'
import { PublicRoutes } from './public-routes.js'
import { RouteTable } from './route-table.js'
import { Upstreams } from './upstreams.js'

export interface FilterDeps {
  topology: Topology
  directory: ServiceDirectory
  upstreamConnections: number
  /** Where circuit changes and ejections are logged. */
  log?: Logger
  /** Members added to the readiness document (the configuration version). */
  healthDetails?: () => Record<string, unknown>
}

/** Builds the configured chain by name; an unknown name fails the start, not the first request. */
export function buildFilters(
  names: string[],
  deps: FilterDeps,
): { filters: GatewayFilter[]; upstreams: Upstreams } {
  const table = RouteTable.fromTopology(deps.topology)
  const publicRoutes = new PublicRoutes()
  const upstreams = new Upstreams(deps.directory, {
    connections: deps.upstreamConnections,
    ...(deps.log ? { log: deps.log } : {}),
  })
  deps.directory.on('change', (snapshot) => publicRoutes.update(snapshot.services))
  const available: Record<string, () => GatewayFilter> = {
    'correlation-id': () => correlationId,
    health: () => health(deps.directory, deps.healthDetails),
    'path-guard': () => pathGuard,
    'route-match': () => routeMatch(table, publicRoutes),
    proxy: () => proxy({ upstreams }),
    'response-headers': () => responseHeaders,
    'problem-response': () => problemResponse,
  }
  const filters = names.map((name) => {
    const make = available[name]
    if (!make)
      throw new Error(
        `unknown gateway filter ${JSON.stringify(name)}; known: ${Object.keys(available).join(', ')}`,
      )
    return make()
  })
  return { filters, upstreams }
}
