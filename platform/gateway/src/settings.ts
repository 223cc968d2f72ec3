import { Type } from '@sinclair/typebox'
import { defineSettings, LogLevel, type SettingsOf, setting } from '@trellis/kit/platform'
import { DEFAULT_METRICS_READERS } from './filters/metrics.js'
import { DEFAULT_SECURITY, type SecurityOptions } from './security-options.js'

export const DEFAULT_FILTERS = [
  'correlation-id',
  'health',
  'metrics',
  'request-limits',
  'path-guard',
  'strip-identity',
  'cors',
  'api-docs',
  'route-match',
  'rate-limit-ip',
  'authenticate',
  'rate-limit-client',
  'authorize',
  'forward-identity',
  'proxy',
  'cors-headers',
  'security-headers',
  'response-headers',
  'problem-response',
]

export const GatewaySettings = defineSettings({
  host: setting(Type.String({ minLength: 1 }), '127.0.0.1', 'Address to listen on.', {
    env: 'TRELLIS_GATEWAY_HOST',
    apply: 'env',
  }),
  port: setting(Type.Integer({ minimum: 0, maximum: 65535 }), 8080, 'The public port.', {
    env: 'TRELLIS_GATEWAY_PORT',
    apply: 'env',
  }),
  registryUrl: setting(Type.String({ minLength: 1 }), 'http://127.0.0.1:8761', 'Registry base URL.', {
    env: 'TRELLIS_REGISTRY_URL',
    apply: 'env',
  }),
  topology: setting(
    Type.String({ minLength: 1 }),
    'trellis.yaml',
    'The topology file: which services are public, under which prefix.',
    { env: 'TRELLIS_TOPOLOGY', apply: 'env' },
  ),
  filters: setting(Type.Array(Type.String()), DEFAULT_FILTERS, 'The filter chain, in order.', {
    env: 'TRELLIS_GATEWAY_FILTERS',
    apply: 'restart',
  }),
  accessLog: setting(Type.Boolean(), true, 'One log line per request.', {
    env: 'TRELLIS_GATEWAY_ACCESS_LOG',
  }),
  upstreamConnections: setting(
    Type.Integer({ minimum: 1, maximum: 1024 }),
    128,
    'Keep-alive connections per upstream instance.',
    { env: 'TRELLIS_GATEWAY_UPSTREAM_CONNECTIONS', apply: 'restart' },
  ),
  instanceId: setting(Type.String(), 'gateway-1', 'Instance id in the registry.', {
    env: 'TRELLIS_INSTANCE_ID',
    apply: 'env',
  }),
  // Security: read when the chain is built, so a change applies at the next start; the signing key only from the environment.
  identityService: setting(
    Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }),
    DEFAULT_SECURITY.identityService,
    'The service that issues access tokens and checks API keys (found through the registry).',
    { env: 'TRELLIS_GATEWAY_IDENTITY_SERVICE', apply: 'restart' },
  ),
  tokenIssuer: setting(
    Type.String({ minLength: 1 }),
    DEFAULT_SECURITY.tokenIssuer,
    'The `iss` access tokens must carry.',
    { env: 'TRELLIS_GATEWAY_TOKEN_ISSUER', apply: 'restart' },
  ),
  tokenAudience: setting(
    Type.String({ minLength: 1 }),
    DEFAULT_SECURITY.tokenAudience,
    'The `aud` access tokens must carry.',
    { env: 'TRELLIS_GATEWAY_TOKEN_AUDIENCE', apply: 'restart' },
  ),
  edgeSigningKey: setting(
    Type.String(),
    '',
    'Private key (JWK as JSON) for identity assertions to services; the control loop makes one per run.',
    { env: 'TRELLIS_EDGE_SIGNING_KEY', secret: true, apply: 'env' },
  ),
  rateLimitIpPerS: setting(
    Type.Number({ minimum: 0 }),
    DEFAULT_SECURITY.rateLimitIp.ratePerS,
    'Requests per second one client address may make, sustained; 0 turns the limit off.',
    { env: 'TRELLIS_GATEWAY_RATE_LIMIT_IP_PER_S', apply: 'restart' },
  ),
  rateLimitIpBurst: setting(
    Type.Integer({ minimum: 1 }),
    DEFAULT_SECURITY.rateLimitIp.burst,
    'Requests one client address may make at once.',
    { env: 'TRELLIS_GATEWAY_RATE_LIMIT_IP_BURST', apply: 'restart' },
  ),
  rateLimitClientPerS: setting(
    Type.Number({ minimum: 0 }),
    DEFAULT_SECURITY.rateLimitClient.ratePerS,
    'Requests per second one user or API key may make, sustained; 0 turns the limit off.',
    { env: 'TRELLIS_GATEWAY_RATE_LIMIT_CLIENT_PER_S', apply: 'restart' },
  ),
  rateLimitClientBurst: setting(
    Type.Integer({ minimum: 1 }),
    DEFAULT_SECURITY.rateLimitClient.burst,
    'Requests one user or API key may make at once.',
    { env: 'TRELLIS_GATEWAY_RATE_LIMIT_CLIENT_BURST', apply: 'restart' },
  ),
  corsOrigins: setting(
    Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' })),
    DEFAULT_SECURITY.corsOrigins,
    'Browser origins allowed to call the API (exact, e.g. http://localhost:5173); none by default.',
    { env: 'TRELLIS_GATEWAY_CORS_ORIGINS', apply: 'restart' },
  ),
  maxBodyBytes: setting(
    Type.Integer({ minimum: 1024 }),
    DEFAULT_SECURITY.maxBodyBytes,
    'Largest request body (by Content-Length) the gateway forwards.',
    { env: 'TRELLIS_GATEWAY_MAX_BODY_BYTES', apply: 'restart' },
  ),
  apiKeyCacheS: setting(
    Type.Integer({ minimum: 0, maximum: 3600 }),
    DEFAULT_SECURITY.apiKeyCacheS,
    'How long an accepted API key is remembered (so also how long a revoked key may still work).',
    { env: 'TRELLIS_GATEWAY_API_KEY_CACHE_S', apply: 'restart' },
  ),
  metricsAllow: setting(
    Type.Array(Type.String({ minLength: 1 })),
    DEFAULT_METRICS_READERS,
    'Addresses (CIDRs) that may read GET /metrics on the public port; others get 404. Loopback by default.',
    { env: 'TRELLIS_GATEWAY_METRICS_ALLOW', apply: 'restart' },
  ),
  maxHeaders: setting(
    Type.Integer({ minimum: 10, maximum: 1000 }),
    DEFAULT_SECURITY.maxHeaders,
    'Most request headers.',
    { env: 'TRELLIS_GATEWAY_MAX_HEADERS', apply: 'restart' },
  ),
})

/**
 * The settings the gateway shares with every kit service, under the same
 * central keys (`kit.logLevel`, `kit.drainTimeoutMs`): one global change
 * reaches services and gateway alike.
 */
export const GatewayKitSettings = defineSettings({
  drainTimeoutMs: setting(
    Type.Integer({ minimum: 0 }),
    10_000,
    'Bound on draining in-flight requests at shutdown.',
    { env: 'TRELLIS_DRAIN_TIMEOUT_MS' },
  ),
  logLevel: setting(LogLevel, 'info', 'Lowest level written to the log.', { env: 'TRELLIS_LOG_LEVEL' }),
})

/** The security filters' options from the settings. */
export function securityOptions(settings: SettingsOf<typeof GatewaySettings.specs>): SecurityOptions {
  return {
    identityService: settings.identityService,
    tokenIssuer: settings.tokenIssuer,
    tokenAudience: settings.tokenAudience,
    edgeSigningKey: settings.edgeSigningKey,
    rateLimitIp: { ratePerS: settings.rateLimitIpPerS, burst: settings.rateLimitIpBurst },
    rateLimitClient: { ratePerS: settings.rateLimitClientPerS, burst: settings.rateLimitClientBurst },
    corsOrigins: settings.corsOrigins,
    maxBodyBytes: settings.maxBodyBytes,
    maxHeaders: settings.maxHeaders,
    apiKeyCacheS: settings.apiKeyCacheS,
  }
}
