import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_AUTH } from '../auth/identity.js'
import {
  ConfigErrors,
  defineSettings,
  describeSettings,
  loadSettings,
  type SettingSpecs,
  type SettingsOf,
} from '../config/settings.js'
import { Database, waitForDatabase } from '../db/database.js'
import { KIT_MIGRATIONS } from '../db/idempotency.js'
import { loadMigrations, migrate } from '../db/migrations.js'
import { isTrellisError } from '../errors/define-error.js'
import { registerHealthRoutes } from '../health/health-routes.js'
import { cached, Readiness } from '../health/readiness.js'
import { createHttpApp } from '../http/create-app.js'
import { closeGracefully } from '../http/graceful-close.js'
import { createLogger, type Logger } from '../log/logger.js'
import type { RouteInfo } from '../registry/instance.js'
import { RegistrationKeeper } from '../registry/registration.js'
import { RegistryClient } from '../registry/registry-client.js'
import { inRequestContext } from '../tracing/server-spans.js'
import type { AnyRoute } from './define-route.js'
import type { ServiceContext, ServiceDefinition } from './define-service.js'
import type { FeatureHandle } from './feature.js'
import { FEATURES } from './features.js'
import { describeListenError, installShutdownHandlers } from './process-signals.js'
import { RuntimeSettings } from './runtime-settings.js'
import { prepareFeatures, settingsLayers } from './settings-layers.js'

export interface RunOptions {
  /** Where settings come from; `process.env` by default. */
  env?: Record<string, string | undefined>
  /** Install SIGTERM/SIGINT handlers and exit the process after stopping. True for `main.ts`, false in tests. */
  ownProcess?: boolean
  /** Log destination (tests may silence or capture it). */
  logDestination?: NodeJS.WritableStream
}

export interface RunningService {
  name: string
  instanceId: string
  url: string
  port: number
  app: FastifyInstance
  context: ServiceContext
  /** Deregisters, drains and closes; safe to call more than once. */
  stop(reason?: string): Promise<void>
}

/** Exit code for configuration and migration errors: restarting will not help (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78

/**
 * Starts one instance of a service: settings, logger, database and
 * migrations, HTTP routes with health endpoints, listening, registration.
 * The order is fixed: the instance becomes discoverable only when it can serve.
 */
export async function runService<S extends SettingSpecs>(
  definition: ServiceDefinition<S>,
  options: RunOptions = {},
): Promise<RunningService> {
  const env = options.env ?? process.env
  const runtime = loadSettings(RuntimeSettings, env)
  const serviceSettings =
    definition.settings ?? (defineSettings({}) as NonNullable<typeof definition.settings>)
  const settings = loadSettings(serviceSettings, env, definition.name)
  const instanceId = runtime.instanceId || `${definition.name}-${randomBytes(3).toString('hex')}`
  const version = definition.version ?? '0.0.0'
  const startedAt = new Date().toISOString()
  const log = createLogger({
    service: definition.name,
    instance: instanceId,
    level: runtime.logLevel,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  })

  const { live, featureSettings } = settingsLayers({
    serviceSettings,
    settings,
    runtime,
    features: FEATURES,
    env,
    log,
  })
  const prepared = await prepareFeatures(FEATURES, {
    definition: definition as unknown as ServiceDefinition,
    instanceId,
    version,
    runtime,
    env,
    log,
    live,
  })
  log.info(
    {
      settings: describeSettings(serviceSettings, settings),
      env: runtime.env,
      pid: process.pid,
      ...(live.version === null ? {} : { configVersion: live.version, configSource: live.source }),
    },
    'starting',
  )
  const stopRequested = new AbortController()

  const readiness = new Readiness()
  const db = definition.database
    ? await openDatabase(definition.name, definition.database, runtime, log, instanceId)
    : undefined
  if (db)
    readiness.add(
      'database',
      cached(async () => ({ ok: await db.ping(1_000) }), 1_000),
    )

  const context: ServiceContext<S> = {
    name: definition.name,
    instanceId,
    version,
    log,
    settings,
    config: live.view<S>(''),
    stopping: stopRequested.signal,
    get db(): Database {
      if (!db) throw new Error(`service ${definition.name} declares no database`)
      return db
    }, // Set by the messaging feature.
    publish: () => {
      throw new Error('messaging is not set up yet')
    },
    messaging: {
      stats: () => Promise.reject(new Error('messaging is not set up yet')),
      ready: () => Promise.resolve(),
    },
    sagas: {
      start: () => Promise.reject(new Error('sagas are not set up yet')),
      cancel: () => Promise.reject(new Error('sagas are not set up yet')),
      get: () => Promise.reject(new Error('sagas are not set up yet')),
      history: () => Promise.reject(new Error('sagas are not set up yet')),
    },
    // Set by features (metrics, calls) before the routes are built.
    metrics: undefined as unknown as ServiceContext['metrics'],
    tracer: undefined,
    call: () => Promise.reject(new Error('the calls feature is not set up')),
    client: () => {
      throw new Error('the calls feature is not set up')
    },
  }

  const app = createHttpApp({ log, bodyLimit: runtime.bodyLimitBytes })
  await app.register(swagger, {
    openapi: {
      info: { title: definition.name, version, description: definition.description ?? '' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
    },
  })
  const features: FeatureHandle[] = []
  const routes: RouteInfo[] = registerHealthRoutes(
    app,
    readiness,
    { service: definition.name, instance: instanceId, version, startedAt },
    () => Object.assign({}, ...features.map((f) => f.health?.() ?? {})),
  )
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  routes.push({ method: 'GET', url: '/openapi.json', access: 'public', auth: 'public' })
  const addRoute = (route: AnyRoute) => {
    const access = route.access ?? 'public'
    const auth = route.auth ?? (access === 'internal' ? 'public' : DEFAULT_AUTH)
    app.route({
      method: route.method,
      url: route.url,
      config: { auth },
      schema: {
        ...route.schema,
        summary: route.summary,
        tags: route.tags ?? [definition.name],
        ...(auth === 'public' ? {} : { security: [{ bearer: [] }, { apiKey: [] }] }),
      },
      handler: inRequestContext(route.handler as never) as never,
    })
    routes.push({ method: route.method, url: route.url, access, auth })
  }

  let keeper: RegistrationKeeper | undefined
  const stopFeatures = async () => {
    for (const feature of features.splice(0).reverse()) {
      await Promise.resolve(feature.stop?.()).catch((error) =>
        log.error({ err: error }, 'feature stop failed'),
      )
    }
  }
  try {
    for (const feature of FEATURES) {
      const handle = await feature.setup({
        definition: definition as unknown as ServiceDefinition,
        context: context as unknown as ServiceContext,
        app,
        readiness,
        runtime,
        env,
        log,
        db,
        live,
        ownSettings: featureSettings.get(feature) ?? {},
        prepared: prepared.get(feature),
        addRoute,
        refreshRegistration: () => keeper?.refresh(),
      })
      if (handle) features.push(handle)
    }
    for (const route of definition.routes(context)) addRoute(route)
    await definition.onStart?.(context)
  } catch (error) {
    await stopFeatures()
    await db?.close()
    throw error
  }

  try {
    await app.listen({ host: runtime.host, port: runtime.port })
  } catch (error) {
    await stopFeatures()
    await db?.close()
    throw new Error(describeListenError(error, runtime.port, 'TRELLIS_PORT'))
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : runtime.port
  const host =
    runtime.advertiseHost ||
    (runtime.host === '0.0.0.0' || runtime.host === '::' ? '127.0.0.1' : runtime.host)
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  log.info({ port, url }, 'listening')
  // Tell a supervising control loop where we listen (no-op when not spawned with IPC).
  process.send?.({ type: 'trellis:listening', port, instanceId })
  for (const feature of features) await feature.afterListen?.({ url, host, port })

  if (runtime.registryUrl) {
    keeper = new RegistrationKeeper(
      new RegistryClient(runtime.registryUrl),
      {
        service: definition.name,
        id: instanceId,
        host,
        port,
        version,
        metadata: () =>
          Object.assign(
            { routes, pid: process.pid, startedAt },
            ...features.map((f) => f.metadata?.() ?? {}),
          ),
      },
      log,
    )
    readiness.add('registry', () => ({
      ok: keeper!.registered,
      ...(keeper!.registered ? {} : { detail: 'not registered yet' }),
    }))
    keeper.start()
  }

  let stopping: Promise<void> | undefined
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'stopping')
      readiness.drain()
      stopRequested.abort()
      await keeper?.stop()
      if (keeper && runtime.deregisterDelayMs > 0) await sleep(runtime.deregisterDelayMs)
      await closeGracefully(app, runtime.drainTimeoutMs, log)
      await stopFeatures()
      await Promise.resolve(definition.onStop?.(context)).catch((error) =>
        log.error({ err: error }, 'onStop failed'),
      )
      await db?.close()
      log.info('stopped')
    })()
    return stopping
  }

  if (options.ownProcess) installShutdownHandlers(stop, log)
  return { name: definition.name, instanceId, url, port, app, context: context as ServiceContext, stop }
}

async function openDatabase(
  name: string,
  database: NonNullable<ServiceDefinition['database']>,
  runtime: SettingsOf<typeof RuntimeSettings.specs>,
  log: Logger,
  instanceId: string,
): Promise<Database> {
  if (!runtime.databaseUrl) {
    throw ConfigErrors.invalid(`service ${name} declares a database but TRELLIS_DATABASE_URL is not set`)
  }
  const db = new Database({
    url: runtime.databaseUrl,
    maxConnections: runtime.dbPoolMax,
    applicationName: instanceId,
    log,
  })
  await waitForDatabase(db, runtime.startupTimeoutMs, log)
  await migrate(db, KIT_MIGRATIONS, { namespace: 'kit', log })
  const migrations = await loadMigrations(toPath(database.migrations), 'V')
  const result = await migrate(db, migrations, { namespace: 'service', log })
  log.info({ applied: result.applied.length, total: migrations.length }, 'migrations up to date')
  if (runtime.seed && database.seeds) {
    const seeds = await loadMigrations(toPath(database.seeds), 'S')
    const seeded = await migrate(db, seeds, { namespace: 'seed', strict: false, log })
    if (seeded.applied.length > 0) log.info({ applied: seeded.applied }, 'seed data applied')
  }
  return db
}

function toPath(location: URL | string): string {
  return location instanceof URL ? fileURLToPath(location) : location
}

/** Entry point for `src/main.ts`: runs the service as this process, exiting with a clear message on failure. */
export async function main<S extends SettingSpecs>(definition: ServiceDefinition<S>): Promise<void> {
  process.on('uncaughtException', (error) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: definition.name, msg: 'uncaught exception', err: { message: error.message, stack: error.stack } })}\n`,
    )
    process.exit(1)
  })
  try {
    await runService(definition, { ownProcess: true })
  } catch (error) {
    const config = isTrellisError(error) && /^TRELLIS_(CONFIG|MIGRATION)_/.test(error.code)
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: definition.name, time: new Date().toISOString(), msg: `cannot start: ${message}`, ...(isTrellisError(error) ? { code: error.code } : {}) })}\n`,
    )
    process.exit(config ? EXIT_CONFIG : 1)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
