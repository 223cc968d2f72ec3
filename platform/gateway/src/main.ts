import {
  type CentralConfig,
  ConfigLinkSettings,
  centralConfigFrom,
  createLogger,
  createTracing,
  DEFAULT_OTLP_ENDPOINT,
  describeListenError,
  installShutdownHandlers,
  instanceMetrics,
  isTrellisError,
  LiveSettings,
  loadSettings,
  loadTopology,
  RegistrationKeeper,
  RegistryClient,
  requestDurations,
  ServiceDirectory,
  TracingSettings,
} from '@trellis/kit/platform'
import { buildFilters } from './build-filters.js'
import { createGateway } from './gateway.js'
import { GatewayKitSettings, GatewaySettings, securityOptions } from './settings.js'

const VERSION = '0.1.0'
const settings = loadSettings(GatewaySettings, process.env)
const kit = loadSettings(GatewayKitSettings, process.env)
const log = createLogger({
  service: 'gateway',
  instance: settings.instanceId,
  level: kit.logLevel,
})

// The same live settings as a kit service: its own under their names, the
// shared ones under `kit.`; the config server may change those not `apply: 'env'`.
const live = new LiveSettings(
  [
    { namespace: '', definition: GatewaySettings, values: settings },
    { namespace: 'kit', definition: GatewayKitSettings, values: kit },
  ],
  (error) => log.error({ err: error }, 'a settings change listener failed'),
)
let central: CentralConfig | undefined
try {
  central = centralConfigFrom(
    loadSettings(ConfigLinkSettings, process.env),
    { application: 'gateway', instance: settings.instanceId, version: VERSION },
    live,
    log,
  )
} catch (error) {
  log.fatal(isTrellisError(error) ? error.message : String(error))
  process.exit(78)
}
await central?.boot()
log.level = kit.logLevel
live.view('kit').onChange(() => {
  log.level = kit.logLevel
})

let topology: Awaited<ReturnType<typeof loadTopology>>
try {
  topology = await loadTopology(settings.topology)
} catch (error) {
  log.fatal(isTrellisError(error) ? error.message : String(error))
  process.exit(78)
}

const registry = new RegistryClient(settings.registryUrl)
const directory = new ServiceDirectory(registry, log)
const metrics = instanceMetrics('gateway', settings.instanceId)
let chain: ReturnType<typeof buildFilters>
try {
  chain = buildFilters(settings.filters, {
    topology,
    directory,
    upstreamConnections: settings.upstreamConnections,
    security: securityOptions(settings),
    log,
    healthDetails: () => (central ? { config: central.status() } : {}),
    metrics,
    metricsAllow: settings.metricsAllow,
  })
} catch (error) {
  log.fatal((error as Error).message)
  process.exit(78)
}
const { filters, upstreams } = chain
const tracingSettings = loadSettings(TracingSettings, process.env)
const tracing = tracingSettings.enabled
  ? createTracing({
      service: 'gateway',
      instance: settings.instanceId,
      version: VERSION,
      endpoint:
        tracingSettings.endpoint || process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] || DEFAULT_OTLP_ENDPOINT,
      sampleRatio: tracingSettings.sampleRatio,
    })
  : undefined
const gateway = createGateway({
  log,
  filters,
  accessLog: () => settings.accessLog,
  tracer: tracing?.tracer,
  requestDurations: requestDurations(metrics),
})
const { server } = gateway
directory.start()

try {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(settings.port, settings.host, () => resolve())
  })
} catch (error) {
  log.fatal(`cannot start: ${describeListenError(error, settings.port, 'TRELLIS_GATEWAY_PORT')}`)
  process.exit(1)
}
const address = server.address()
const port = typeof address === 'object' && address ? address.port : settings.port
log.info(
  { port, routes: topology.services.filter((s) => s.expose).map((s) => `${s.expose!.prefix} → ${s.name}`) },
  'listening',
)
process.send?.({ type: 'trellis:listening', port })

const startedAt = new Date().toISOString()
const keeper = new RegistrationKeeper(
  registry,
  {
    service: 'gateway',
    id: settings.instanceId,
    host: settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host,
    port,
    version: VERSION,
    metadata: () => ({
      pid: process.pid,
      startedAt,
      routes: [],
      ...(central ? { config: central.metadata() } : {}),
    }),
  },
  log,
)
keeper.start()
if (central) {
  central.onStatusChange = () => keeper.refresh()
  central.start()
}

installShutdownHandlers(async (reason) => {
  log.info({ reason }, 'stopping')
  await keeper.stop()
  await gateway.drain(kit.drainTimeoutMs)
  await central?.stop()
  directory.stop()
  await upstreams.close()
  await tracing?.shutdown().catch(() => undefined)
  log.info('stopped')
}, log)
