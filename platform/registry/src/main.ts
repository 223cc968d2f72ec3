import { Type } from '@sinclair/typebox'
import {
  createLogger,
  defineSettings,
  describeListenError,
  installShutdownHandlers,
  LogLevel,
  loadSettings,
  setting,
} from '@trellis/kit/platform'
import { createRegistryApp } from './registry-app.js'

const RegistrySettings = defineSettings({
  host: setting(Type.String({ minLength: 1 }), '127.0.0.1', 'Address to listen on.', {
    env: 'TRELLIS_REGISTRY_HOST',
  }),
  port: setting(Type.Integer({ minimum: 0, maximum: 65535 }), 8761, 'Port to listen on.', {
    env: 'TRELLIS_REGISTRY_PORT',
  }),
  // Eureka waits 90 s and more; a 3 s lease with 1 s heartbeats tolerates two
  // lost heartbeats and still drops a dead instance in about 3 s.
  leaseTtlMs: setting(
    Type.Integer({ minimum: 500 }),
    3_000,
    'Lease length; an instance silent this long is removed.',
  ),
  heartbeatIntervalMs: setting(
    Type.Integer({ minimum: 100 }),
    1_000,
    'Interval the registry asks instances to heartbeat at.',
  ),
  sweepIntervalMs: setting(Type.Integer({ minimum: 50 }), 250, 'How often expired leases are swept.'),
  maxWaitMs: setting(Type.Integer({ minimum: 1_000 }), 60_000, 'Longest wait of a blocking query.'),
  logLevel: setting(LogLevel, 'info', 'Lowest level written to the log.', { env: 'TRELLIS_LOG_LEVEL' }),
})

const settings = loadSettings(RegistrySettings, process.env, 'registry')
const instance = process.env['TRELLIS_INSTANCE_ID'] ?? 'registry-1'
const log = createLogger({
  service: 'registry',
  instance,
  level: settings.logLevel,
})
const { app } = createRegistryApp({
  log,
  ttlMs: settings.leaseTtlMs,
  heartbeatIntervalMs: settings.heartbeatIntervalMs,
  sweepIntervalMs: settings.sweepIntervalMs,
  maxWaitMs: settings.maxWaitMs,
  instance,
})

try {
  await app.listen({ host: settings.host, port: settings.port })
} catch (error) {
  log.fatal(`cannot start: ${describeListenError(error, settings.port, 'TRELLIS_REGISTRY_PORT')}`)
  process.exit(1)
}
const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : settings.port
log.info({ port, leaseTtlMs: settings.leaseTtlMs }, 'listening')
process.send?.({ type: 'trellis:listening', port })
installShutdownHandlers(async (reason) => {
  log.info({ reason }, 'stopping')
  await app.close()
}, log)
