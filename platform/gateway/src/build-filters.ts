import type { Logger, ServiceDirectory, Topology } from '@trellis/kit/platform'
import { Registry } from 'prom-client'
import { ApiKeyVerifier } from './auth/api-key-verifier.js'
import { IdentityClient } from './auth/identity-client.js'
import { JwksCache } from './auth/jwks-cache.js'
import { TokenVerifier } from './auth/token-verifier.js'
import { apiDocs } from './filters/api-docs.js'
import { authenticate } from './filters/authenticate.js'
import { authorize } from './filters/authorize.js'
import { correlationId } from './filters/correlation-id.js'
import { cors, corsHeaders } from './filters/cors.js'
import type { GatewayFilter } from './filters/filter.js'
import { forwardIdentity } from './filters/forward-identity.js'
import { health } from './filters/health.js'
import { DEFAULT_METRICS_READERS, metrics, metricsReaders } from './filters/metrics.js'
import { pathGuard } from './filters/path-guard.js'
import { problemResponse } from './filters/problem-response.js'
import { proxy } from './filters/proxy.js'
import { rateLimitClient, rateLimitIp } from './filters/rate-limit.js'
import { requestLimits } from './filters/request-limits.js'
import { responseHeaders } from './filters/response-headers.js'
import { routeMatch } from './filters/route-match.js'
import { securityHeaders } from './filters/security-headers.js'
import { stripIdentity } from './filters/strip-identity.js'
import { PublicRoutes } from './public-routes.js'
import { RouteTable } from './route-table.js'
import { DEFAULT_SECURITY, type SecurityOptions } from './security-options.js'
import { Upstreams } from './upstreams.js'

export interface FilterDeps {
  topology: Topology
  directory: ServiceDirectory
  upstreamConnections: number
  /** Security settings; defaults for what is not given (DEFAULT_SECURITY). */
  security?: Partial<SecurityOptions>
  /** Where circuit changes and ejections are logged. */
  log?: Logger
  /** Members added to the readiness document (the configuration version). */
  healthDetails?: () => Record<string, unknown>
  /** The gateway's metrics: the upstream clients add their series; the `metrics` filter serves them. */
  metrics?: Registry
  /** Who may read GET /metrics (CIDRs); loopback when not given. */
  metricsAllow?: string[]
}

/** Builds the configured chain by name; an unknown name fails the start, not the first request. */
export function buildFilters(
  names: string[],
  deps: FilterDeps,
): { filters: GatewayFilter[]; upstreams: Upstreams } {
  const table = RouteTable.fromTopology(deps.topology)
  const publicRoutes = new PublicRoutes()
  const registry = deps.metrics ?? new Registry()
  const upstreams = new Upstreams(deps.directory, {
    connections: deps.upstreamConnections,
    metrics: registry,
    ...(deps.log ? { log: deps.log } : {}),
  })
  const security: SecurityOptions = { ...DEFAULT_SECURITY, ...deps.security }
  // A chain built after the directory first synced (tests, benchmarks) starts from what it knows.
  if (deps.directory.synced) publicRoutes.update(deps.directory.services())
  deps.directory.on('change', (snapshot) => publicRoutes.update(snapshot.services))
  const available: Record<string, () => GatewayFilter> = {
    'correlation-id': () => correlationId,
    health: () => health(deps.directory, deps.healthDetails),
    metrics: () => metrics(registry, metricsReaders(deps.metricsAllow ?? DEFAULT_METRICS_READERS)),
    'path-guard': () => pathGuard,
    'route-match': () => routeMatch(table, publicRoutes),
    proxy: () => proxy({ upstreams }),
    'response-headers': () => responseHeaders,
    'problem-response': () => problemResponse,
    'request-limits': () => requestLimits(security),
    'strip-identity': () => stripIdentity,
    cors: () => cors(security.corsOrigins),
    'cors-headers': () => corsHeaders(security.corsOrigins),
    'rate-limit-ip': () => rateLimitIp(security.rateLimitIp),
    authenticate: () => {
      const client = new IdentityClient(deps.directory, security.identityService)
      const tokens = new TokenVerifier(new JwksCache(client), {
        issuer: security.tokenIssuer,
        audience: security.tokenAudience,
      })
      return authenticate(tokens, new ApiKeyVerifier(client, security.apiKeyCacheS * 1000))
    },
    'rate-limit-client': () => rateLimitClient(security.rateLimitClient),
    authorize: () => authorize,
    'forward-identity': () => forwardIdentity(security.edgeSigningKey, deps.log),
    'security-headers': () => securityHeaders,
    'api-docs': () => apiDocs(table, publicRoutes, deps.directory),
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
