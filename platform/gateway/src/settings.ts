import { Type } from '@sinclair/typebox'
import { defineSettings, LogLevel, setting } from '@trellis/kit/platform'

export const DEFAULT_FILTERS = [
  'correlation-id',
  'health',
  'path-guard',
  'route-match',
  'proxy',
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
