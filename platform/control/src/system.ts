import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Writable } from 'node:stream'
import {
  createLogger,
  generateEdgeKeys,
  loadTopology,
  type MessagingTransport,
  RegistryClient,
  type Topology,
} from '@trellis/kit/platform'
import { createControlApi, type SystemStatus } from './api/control-api.js'
import { Home } from './home.js'
import { AlertWatch } from './log/alert-watch.js'
import { LogPrinter } from './log/log-printer.js'
import { LogShipper } from './log/log-shipper.js'
import { freePort, portInUse } from './ports.js'
import { configSecrets, loadCredentials, saveCredentials } from './postgres/credentials.js'
import { EmbeddedPostgres } from './postgres/embedded-postgres.js'
import { provisionDatabases } from './postgres/provision.js'
import type { LogStream } from './process/managed-process.js'
import { CONFIG_SERVICE, desiredInstances, type Ports } from './reconcile/desired.js'
import { type InstanceSpec, type InstanceStatus, initialStatus } from './reconcile/instance-spec.js'
import type { RestartPolicy } from './reconcile/plan.js'
import { Reconciler } from './reconcile/reconciler.js'

export interface SystemOptions {
  /** trellis.yaml. */
  topologyFile: string
  /** Data folder; `.trellis` beside the topology by default. */
  home?: string
  /** Port overrides, or 'auto' for free ports everywhere (tests run beside a live system). */
  ports?: Partial<Ports> | 'auto'
  /** Admin URL of an existing Postgres server; the embedded one is not started then. */
  postgresUrl?: string
  /** Prefix for role and database names on that server (lets tests share one server). */
  databasePrefix?: string
  /** Where instance logs are printed. */
  out?: NodeJS.WritableStream
  jsonLogs?: boolean
  color?: boolean
  /** Added to every instance's environment. */
  env?: Record<string, string>
  policy?: Partial<RestartPolicy>
  /** The event transport, over the topology's `messaging` (and TRELLIS_MESSAGING_TRANSPORT / TRELLIS_BROKER_URL). */
  messaging?: { transport: MessagingTransport; url?: string }
  /** Every line any instance writes. */
  onLine?: (key: string, stream: LogStream, line: string) => void
}

export interface RunningSystem {
  topology: Topology
  ports: Ports
  urls: { gateway: string; registry: string; control: string; config: string; console: string }
  home: string
  /** Admin URL of the Postgres server in use. */
  postgresUrl: string
  databases: Map<string, string>
  /** The transport in use and its URL (for postgres, the broker database's). */
  messaging: { transport: MessagingTransport; url: string }
  status(): SystemStatus
  /** Resolves when every desired instance is ready; rejects after `timeoutMs`. */
  waitReady(timeoutMs?: number): Promise<void>
  restart(key: string): Promise<boolean>
  kill(key: string): boolean
  /** Stops an instance and keeps it stopped (`trellis stop`), until `start`; false for an unknown key. */
  hold(key: string): boolean
  /** Lets a held instance run again. */
  release(key: string): boolean
  scale(service: string, replicas: number): boolean
  /** Stops every instance (gateway, services, registry), then Postgres. Idempotent. */
  stop(): Promise<void>
  /** Pids of the processes the system owns, Postgres included. */
  pids(): number[]
  readonly stopped: Promise<void>
}

/** Starts the whole local system: Postgres, databases, the control API and the reconcile loop. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const topologyFile = resolve(options.topologyFile)
  const topology = await loadTopology(topologyFile)
  const home = new Home(options.home ?? resolve(topology.root, '.trellis'))
  const ports = await resolvePorts(topology, options.ports)
  const printer = new LogPrinter({
    out: options.out ?? process.stdout,
    json: options.jsonLogs ?? false,
    color: options.color ?? false,
  })
  const log = createLogger({
    service: 'control',
    instance: 'control',
    level: 'warn',
    destination: lineSink((line) => printer.instance('control', 'stdout', line)),
  })

  await home.prepare()
  await home.lock({ controlPort: ports.control })
  const cleanup: Array<() => Promise<void>> = [() => home.unlock()]
  const unwind = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
  }

  try {
    const taken: string[] = []
    for (const [name, port] of [
      ['gateway', ports.gateway],
      ['registry', ports.registry],
      ['control', ports.control],
      ['config', ports.config],
      ['console', ports.console],
    ] as const) {
      if (await portInUse(port)) taken.push(`${port} (${name}; set TRELLIS_${name.toUpperCase()}_PORT)`)
    }
    if (taken.length)
      throw new Error(
        `ports already in use: ${taken.join(', ')}. Is another Trellis (or another server) running?`,
      )

    let postgresUrl: string
    let postgres: EmbeddedPostgres | undefined
    const hadCredentials = existsSync(home.credentialsFile)
    const credentials = await loadCredentials(home.credentialsFile)
    if (options.postgresUrl) {
      postgresUrl = options.postgresUrl
    } else {
      postgres = new EmbeddedPostgres({
        dataDir: home.postgresDir,
        port: ports.postgres,
        superuser: credentials.superuser.user,
        password: credentials.superuser.password,
        // Postgres logs its routine start and stop at LOG level; show only what needs attention.
        onLog: (line) => {
          if (/^(WARNING|ERROR|FATAL|PANIC):/.test(line)) printer.instance('postgres', 'stderr', line)
        },
      })
      const state = await postgres.initialise()
      if (state === 'existing' && !hadCredentials) {
        throw new Error(
          `${home.postgresDir} holds a database but ${home.credentialsFile} is gone, so its passwords are unknown. Restore the file, or delete ${home.dir} to start with fresh data.`,
        )
      }
      await saveCredentials(home.credentialsFile, credentials)
      const started = performance.now()
      await postgres.start()
      cleanup.push(() => postgres!.stop())
      printer.system(
        `postgres ${state === 'created' ? 'initialised and ' : ''}started on port ${ports.postgres} in ${Math.round(performance.now() - started)} ms`,
      )
      postgresUrl = postgres.url
    }

    const transport: MessagingTransport =
      options.messaging?.transport ?? messagingTransportFromEnv() ?? topology.messaging.transport
    const brokerUrl = options.messaging?.url ?? (process.env['TRELLIS_BROKER_URL'] || topology.messaging.url)
    if (transport !== 'postgres' && !brokerUrl)
      throw new Error(
        `the ${transport} transport needs a URL: set messaging.url in trellis.yaml or TRELLIS_BROKER_URL`,
      )
    // The Postgres transport's broker is one more database with its own role, like a service's.
    const provisionBroker = transport === 'postgres' && !brokerUrl
    // The config server owns a database too, like any service.
    const withDatabase = [CONFIG_SERVICE, ...topology.services.filter((s) => s.database).map((s) => s.name)]
    const roles = await provisionDatabases(
      postgresUrl,
      provisionBroker ? [...withDatabase, BROKER_DATABASE] : withDatabase,
      credentials,
      options.databasePrefix,
    )
    const config = configSecrets(credentials)
    await saveCredentials(home.credentialsFile, credentials)
    const server = new URL(postgresUrl)
    const urlOf = (r: { user: string; password: string; database: string }) =>
      `postgres://${encodeURIComponent(r.user)}:${encodeURIComponent(r.password)}@${server.host}/${encodeURIComponent(r.database)}`
    const databases = new Map(
      [...roles]
        .filter(([service]) => service !== BROKER_DATABASE)
        .map(([service, r]) => [service, urlOf(r)]),
    )
    const messaging = {
      transport,
      url: provisionBroker ? urlOf(roles.get(BROKER_DATABASE)!) : brokerUrl!,
    }
    printer.system(`messaging over ${transport}${provisionBroker ? ' (broker database trellis_broker)' : ''}`)

    const scale = new Map<string, number>()
    // One key pair per run: the gateway signs identity assertions, every service verifies them.
    const edge = await generateEdgeKeys()
    const held = new Set<string>()
    const all = () =>
      desiredInstances({
        topology,
        topologyFile,
        ports,
        databases,
        scale,
        env: options.env ?? {},
        config,
        configCacheDir: home.configCacheDir,
        edge,
        messaging,
      })
    const desired = () => all().filter((spec) => !held.has(spec.key))
    // Every instance's lines go to the console's log store, like a cluster's log agent ships them.
    const shipper = new LogShipper(`http://127.0.0.1:${ports.console}`)
    const alertWatch = new AlertWatch(`http://127.0.0.1:${ports.console}`, printer)
    cleanup.push(async () => {
      alertWatch.stop()
      await shipper.stop()
    })
    const reconciler = new Reconciler({
      desired,
      registry: new RegistryClient(`http://127.0.0.1:${ports.registry}`),
      printer,
      onLine: (key, stream, line) => {
        shipper.push(key, stream, line)
        options.onLine?.(key, stream, line)
      },
      ...(options.policy ? { policy: options.policy } : {}),
    })

    const startedAt = new Date().toISOString()
    let stopping: Promise<void> | undefined
    let resolveStopped!: () => void
    const stopped = new Promise<void>((r) => {
      resolveStopped = r
    })
    const system: RunningSystem = {
      topology,
      ports,
      urls: {
        gateway: `http://127.0.0.1:${ports.gateway}`,
        registry: `http://127.0.0.1:${ports.registry}`,
        control: `http://127.0.0.1:${ports.control}`,
        config: `http://127.0.0.1:${ports.config}`,
        console: `http://127.0.0.1:${ports.console}`,
      },
      home: home.dir,
      postgresUrl,
      databases,
      messaging,
      status: () => ({
        name: topology.name,
        startedAt,
        ports: { ...ports },
        postgres: postgres
          ? {
              mode: 'embedded',
              port: ports.postgres,
              running: postgres.running,
              ...(postgres.pid ? { pid: postgres.pid } : {}),
            }
          : { mode: 'external', running: true },
        messaging: { transport: messaging.transport },
        instances: withHeld(reconciler.status(), all(), held),
      }),
      waitReady: (timeoutMs = 60_000) => waitReady(() => reconciler.status(), desired().length, timeoutMs),
      restart: (key) => reconciler.restart(key),
      kill: (key) => reconciler.kill(key),
      hold: (key) => {
        if (!all().some((spec) => spec.key === key)) return false
        held.add(key)
        reconciler.wake()
        return true
      },
      release: (key) => {
        if (!held.delete(key)) return all().some((spec) => spec.key === key)
        reconciler.wake()
        return true
      },
      scale: (service, replicas) => {
        if (!topology.services.some((s) => s.name === service)) return false
        scale.set(service, replicas)
        reconciler.wake()
        return true
      },
      pids: () => [...reconciler.pids(), ...(postgres?.pid && postgres.running ? [postgres.pid] : [])],
      stop: () => {
        stopping ??= (async () => {
          printer.system('stopping: gateway, then services, then registry, then postgres')
          await api.close().catch(() => undefined)
          await reconciler.shutdown()
          await unwind()
          printer.system('stopped')
          resolveStopped()
        })()
        return stopping
      },
      stopped,
    }

    const api = createControlApi({
      log,
      status: system.status,
      restart: system.restart,
      kill: system.kill,
      hold: system.hold,
      release: system.release,
      scale: system.scale,
      shutdown: () => void system.stop(),
    })
    await api.listen({ host: '127.0.0.1', port: ports.control })
    reconciler.start()
    shipper.start()
    alertWatch.start()
    return system
  } catch (error) {
    await unwind()
    throw error
  }
}

/** Held instances stay listed, stopped, with how to run them again. */
function withHeld(statuses: InstanceStatus[], specs: InstanceSpec[], held: Set<string>): InstanceStatus[] {
  const listed = new Set(statuses.map((s) => s.key))
  const extra = specs
    .filter((spec) => held.has(spec.key) && !listed.has(spec.key))
    .map((spec) => ({
      ...initialStatus(spec),
      phase: 'stopped' as const,
      message: `held by \`trellis stop\`; \`trellis start ${spec.key}\` runs it again`,
    }))
  return [...statuses, ...extra].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }))
}

/** The Postgres transport's broker database, provisioned like a service's (role svc_trellis_broker). */
const BROKER_DATABASE = 'trellis-broker'

function messagingTransportFromEnv(): MessagingTransport | undefined {
  const value = process.env['TRELLIS_MESSAGING_TRANSPORT']
  if (value === undefined || value === '') return undefined
  if (value === 'postgres' || value === 'rabbitmq' || value === 'nats') return value
  throw new Error(`TRELLIS_MESSAGING_TRANSPORT=${JSON.stringify(value)} is not postgres, rabbitmq or nats`)
}

async function resolvePorts(topology: Topology, requested: SystemOptions['ports']): Promise<Ports> {
  if (requested === 'auto') {
    return {
      postgres: await freePort(),
      registry: await freePort(),
      gateway: await freePort(),
      control: await freePort(),
      config: await freePort(),
      console: await freePort(),
    }
  }
  const env = (name: string) => {
    const value = process.env[name]
    if (value === undefined || value === '') return undefined
    const port = Number(value)
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`${name}=${JSON.stringify(value)} is not a port number`)
    return port
  }
  return {
    postgres: requested?.postgres ?? env('TRELLIS_POSTGRES_PORT') ?? topology.ports.postgres,
    registry: requested?.registry ?? env('TRELLIS_REGISTRY_PORT') ?? topology.ports.registry,
    gateway: requested?.gateway ?? env('TRELLIS_GATEWAY_PORT') ?? topology.ports.gateway,
    control: requested?.control ?? env('TRELLIS_CONTROL_PORT') ?? topology.ports.control,
    config: requested?.config ?? env('TRELLIS_CONFIG_PORT') ?? topology.ports.config,
    console: requested?.console ?? env('TRELLIS_CONSOLE_PORT') ?? topology.ports.console,
  }
}

async function waitReady(status: () => InstanceStatus[], expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const all = status()
    if (all.length >= expected && all.every((s) => s.ready)) return
    if (Date.now() > deadline) {
      const waiting = all
        .filter((s) => !s.ready)
        .map((s) => `${s.key} (${s.phase}${s.message ? `: ${s.message}` : ''})`)
      throw new Error(`not ready after ${timeoutMs} ms: ${waiting.join(', ') || 'instances not started'}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

function lineSink(onLine: (line: string) => void): Writable {
  let buffer = ''
  return new Writable({
    write(chunk, _encoding, callback) {
      buffer += chunk.toString()
      let newline = buffer.indexOf('\n')
      while (newline !== -1) {
        onLine(buffer.slice(0, newline))
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
      }
      callback()
    },
  })
}
