import {
  createLogger,
  describeListenError,
  installShutdownHandlers,
  isTrellisError,
  loadSettings,
  loadTopology,
  RegistrationKeeper,
  RegistryClient,
  ServiceDirectory,
} from '@trellis/kit/platform'
import { buildFilters } from './build-filters.js'
import { createGateway } from './gateway.js'
import { GatewaySettings, securityOptions } from './settings.js'

const settings = loadSettings(GatewaySettings, process.env)
const log = createLogger({
  service: 'gateway',
  instance: settings.instanceId,
  level: settings.logLevel,
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
const { filters, upstreams } = buildFilters(settings.filters, {
  topology,
  directory,
  upstreamConnections: settings.upstreamConnections,
  security: securityOptions(settings),
  log,
})
const gateway = createGateway({ log, filters, accessLog: settings.accessLog })
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

const keeper = new RegistrationKeeper(
  registry,
  {
    service: 'gateway',
    id: settings.instanceId,
    host: settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host,
    port,
    version: '0.1.0',
    metadata: { pid: process.pid, startedAt: new Date().toISOString(), routes: [] },
  },
  log,
)
keeper.start()

installShutdownHandlers(async (reason) => {
  log.info({ reason }, 'stopping')
  await keeper.stop()
  await gateway.drain(settings.drainTimeoutMs)
  directory.stop()
  await upstreams.close()
  log.info('stopped')
}, log)
