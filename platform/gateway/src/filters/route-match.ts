import { parsePolicy } from '@trellis/kit/platform'
import { GatewayErrors } from '../errors.js'
import type { PublicRoutes } from '../public-routes.js'
import type { RouteTable } from '../route-table.js'
import type { GatewayFilter } from './filter.js'

/**
 * Finds the service for the path (by prefix, from the topology) and checks
 * that the service declared the upstream route public. An unknown path and
 * an internal route look the same from outside: 404. The route's auth
 * policy, as the service declared it, goes on the context for `authorize`.
 */
export function routeMatch(table: RouteTable, publicRoutes: PublicRoutes): GatewayFilter {
  return {
    name: 'route-match',
    stage: 'pre',
    run(context) {
      const match = table.match(context.path)
      if (!match) throw GatewayErrors.routeNotFound(context.req.method ?? 'GET', shorten(context.path))
      const found = publicRoutes.find(match.exposed.service, context.req.method ?? 'GET', match.upstreamPath)
      // undefined: no instance has registered yet; let the ROUTE stage answer 503.
      if (found === null)
        throw GatewayErrors.routeNotFound(context.req.method ?? 'GET', shorten(context.path))
      context.route = match
      if (found) context.policy = parsePolicy(found.auth)
    },
  }
}

function shorten(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path
}
