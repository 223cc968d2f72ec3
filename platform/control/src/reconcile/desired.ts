import { createRequire } from 'node:module'
import { serviceToken } from '@trellis/config-server'
import type { Topology } from '@trellis/kit/platform'
import type { InstanceSpec } from './instance-spec.js'

export interface Ports {
  postgres: number
  registry: number
  gateway: number
  control: number
  config: number
  console: number
}

/** What only the config server may know: the key its secrets are sealed with, and the admin token service tokens derive from. */
export interface ConfigSecrets {
  encryptionKey: string
  adminToken: string
}

/** The config server's name: its instance key, role and database. */
export const CONFIG_SERVICE = 'config'

export interface DesiredContext {
  topology: Topology
  topologyFile: string
  ports: Ports
  /** Database URL of each service that declares one. */
  databases: Map<string, string>
  /** Replica counts changed at run time (`trellis scale`), over the topology's. */
  scale: Map<string, number>
  /** Added to every instance's environment. */
  env: Record<string, string>
  /** This run's edge key pair: the private half for the gateway, the public half for every service. */
  edge?: { signingKey: string; publicKeys: string }
  config: ConfigSecrets
  /** Where instances keep their last good configuration. */
  configCacheDir: string
  /** The event transport every service instance uses. */
  messaging: { transport: string; url: string }
}

const resolveFromHere = createRequire(import.meta.url)

/** The platform's own entry points, resolved through their packages. */
export const PLATFORM_ENTRIES = {
  registry: () => resolveFromHere.resolve('@trellis/registry/main'),
  gateway: () => resolveFromHere.resolve('@trellis/gateway/main'),
  config: () => resolveFromHere.resolve('@trellis/config-server/main'),
  console: () => resolveFromHere.resolve('@trellis/console/main'),
}

/**
 * Every instance the topology asks for, with its environment: where the
 * registry and the config server are, its own database, its id, its config
 * token. Pure apart from entry resolution.
 */
export function desiredInstances(ctx: DesiredContext): InstanceSpec[] {
  const base = inheritedEnv()
  const registryUrl = `http://127.0.0.1:${ctx.ports.registry}`
  const common = {
    ...base,
    TRELLIS_ENV: 'development',
    TRELLIS_REGISTRY_URL: registryUrl,
    // Spans go to the console's collector (an OpenTelemetry Collector in production).
    TRELLIS_TRACING_ENDPOINT: `http://127.0.0.1:${ctx.ports.console}`,
    ...(ctx.edge ? { TRELLIS_EDGE_PUBLIC_KEYS: ctx.edge.publicKeys } : {}),
    ...ctx.env,
  }
  // Each service gets its own token: it reads its own secrets and publishes its own schema, nobody else's.
  const configured = (service: string) => ({
    TRELLIS_CONFIG_URL: `http://127.0.0.1:${ctx.ports.config}`,
    TRELLIS_CONFIG_TOKEN: serviceToken(ctx.config.adminToken, service),
    TRELLIS_CONFIG_CACHE_DIR: ctx.configCacheDir,
  })
  const configDatabase = ctx.databases.get(CONFIG_SERVICE)
  const specs: InstanceSpec[] = [
    {
      key: 'config-1',
      kind: 'config',
      service: CONFIG_SERVICE,
      // Stopped after the services (they keep watching it to the end), before the registry it deregisters from.
      tier: 1,
      launch: {
        key: 'config-1',
        entry: PLATFORM_ENTRIES.config(),
        cwd: ctx.topology.root,
        env: {
          ...common,
          TRELLIS_INSTANCE_ID: 'config-1',
          TRELLIS_PORT: String(ctx.ports.config),
          TRELLIS_CONFIG_ENCRYPTION_KEY: ctx.config.encryptionKey,
          TRELLIS_CONFIG_ADMIN_TOKEN: ctx.config.adminToken,
          ...(configDatabase ? { TRELLIS_DATABASE_URL: configDatabase } : {}),
        },
      },
    },
    {
      key: 'registry-1',
      kind: 'registry',
      service: 'registry',
      tier: 0,
      launch: {
        key: 'registry-1',
        entry: PLATFORM_ENTRIES.registry(),
        cwd: ctx.topology.root,
        env: {
          ...common,
          TRELLIS_INSTANCE_ID: 'registry-1',
          TRELLIS_REGISTRY_PORT: String(ctx.ports.registry),
        },
      },
    },
    {
      key: 'console-1',
      kind: 'console',
      service: 'console',
      // Stopped last, with the registry: it keeps collecting the others' final lines and spans.
      tier: 0,
      launch: {
        key: 'console-1',
        entry: PLATFORM_ENTRIES.console(),
        cwd: ctx.topology.root,
        env: {
          ...common,
          TRELLIS_INSTANCE_ID: 'console-1',
          TRELLIS_CONSOLE_PORT: String(ctx.ports.console),
          TRELLIS_CONTROL_URL: `http://127.0.0.1:${ctx.ports.control}`,
        },
      },
    },
    {
      key: 'gateway-1',
      kind: 'gateway',
      service: 'gateway',
      tier: 3,
      launch: {
        key: 'gateway-1',
        entry: PLATFORM_ENTRIES.gateway(),
        cwd: ctx.topology.root,
        env: {
          ...common,
          TRELLIS_INSTANCE_ID: 'gateway-1',
          TRELLIS_GATEWAY_PORT: String(ctx.ports.gateway),
          TRELLIS_TOPOLOGY: ctx.topologyFile,
          ...(ctx.edge ? { TRELLIS_EDGE_SIGNING_KEY: ctx.edge.signingKey } : {}),
          ...configured('gateway'),
        },
      },
    },
  ]
  for (const service of ctx.topology.services) {
    const replicas = ctx.scale.get(service.name) ?? service.replicas
    for (let i = 1; i <= replicas; i++) {
      const key = `${service.name}-${i}`
      const database = ctx.databases.get(service.name)
      specs.push({
        key,
        kind: 'service',
        service: service.name,
        tier: 2,
        launch: {
          key,
          entry: service.entry,
          cwd: service.dir,
          env: {
            ...common,
            TRELLIS_SEED: 'true',
            ...configured(service.name),
            ...service.env,
            TRELLIS_INSTANCE_ID: key,
            ...(database ? { TRELLIS_DATABASE_URL: database } : {}),
            TRELLIS_MESSAGING_TRANSPORT: ctx.messaging.transport,
            TRELLIS_BROKER_URL: ctx.messaging.url,
          },
        },
      })
    }
  }
  return specs
}

/** The control loop's environment minus Trellis settings, so a stray variable in the shell cannot leak into every instance. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('TRELLIS_')) env[name] = value
  }
  return env
}
