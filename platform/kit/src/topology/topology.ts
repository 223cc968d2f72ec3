import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parse } from 'yaml'
import { defineError } from '../errors/define-error.js'

/**
 * `trellis.yaml`: the single description of the system that the control loop
 * (what to run) and the gateway (what to expose) both read.
 */
const Port = Type.Integer({ minimum: 0, maximum: 65535 })
const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' })

const ExposeSchema = Type.Object(
  {
    prefix: Type.String({ pattern: '^(/[a-z0-9][a-z0-9._-]*)+$' }),
    rewrite: Type.Optional(Type.String({ pattern: '^/([a-z0-9][a-z0-9._-]*/?)*$' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
    breaker: Type.Optional(
      Type.Union([
        Type.Literal(false),
        Type.Object(
          {
            failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
            halfOpenAfterMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
)

const ServiceSchema = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    entry: Type.Optional(Type.String({ minLength: 1 })),
    replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 32 })),
    database: Type.Optional(Type.Boolean()),
    expose: Type.Optional(ExposeSchema),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' }), Type.String())),
  },
  { additionalProperties: false },
)

const TopologySchema = Type.Object(
  {
    name: Name,
    platform: Type.Optional(
      Type.Object(
        {
          postgres: Type.Optional(
            Type.Object({ port: Type.Optional(Port) }, { additionalProperties: false }),
          ),
          registry: Type.Optional(
            Type.Object({ port: Type.Optional(Port) }, { additionalProperties: false }),
          ),
          gateway: Type.Optional(Type.Object({ port: Type.Optional(Port) }, { additionalProperties: false })),
          control: Type.Optional(Type.Object({ port: Type.Optional(Port) }, { additionalProperties: false })),
          config: Type.Optional(Type.Object({ port: Type.Optional(Port) }, { additionalProperties: false })),
          console: Type.Optional(Type.Object({ port: Type.Optional(Port) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    messaging: Type.Optional(
      Type.Object(
        {
          transport: Type.Optional(
            Type.Union([Type.Literal('postgres'), Type.Literal('rabbitmq'), Type.Literal('nats')]),
          ),
          url: Type.Optional(Type.String({ pattern: '^(postgres|postgresql|amqp|amqps|nats|tls)://' })),
        },
        { additionalProperties: false },
      ),
    ),
    services: Type.Record(Name, ServiceSchema),
  },
  { additionalProperties: false },
)

type TopologyFile = Static<typeof TopologySchema>

export interface ServiceSpec {
  name: string
  /** Absolute folder of the service. */
  dir: string
  /** Absolute path of the file the control loop runs. */
  entry: string
  replicas: number
  database: boolean
  expose:
    | {
        prefix: string
        rewrite: string
        timeoutMs: number
        /** Attempts after the first, for bodiless idempotent requests (refused, broken, 503). */
        retries: number
        /** Failed attempts in a row that open the circuit (0: no breaker), and how long it stays open. */
        breaker: { failures: number; halfOpenAfterMs: number }
      }
    | undefined
  env: Record<string, string>
}

export type MessagingTransport = 'postgres' | 'rabbitmq' | 'nats'

export interface Topology {
  name: string
  /**
   * How services exchange events. `postgres` (the default) uses a broker
   * database the control loop provisions on its Postgres server unless `url`
   * names another; `rabbitmq` and `nats` need `url`.
   */
  messaging: { transport: MessagingTransport; url: string | undefined }
  /** Folder of trellis.yaml; relative paths resolve against it. */
  root: string
  ports: {
    postgres: number
    registry: number
    gateway: number
    control: number
    config: number
    console: number
  }
  services: ServiceSpec[]
}

export const TopologyErrors = {
  unreadable: defineError('TRELLIS_TOPOLOGY_UNREADABLE', 500, 'cannot read %s: %s'),
  invalid: defineError('TRELLIS_TOPOLOGY_INVALID', 500, '%s is invalid: %s'),
} as const

export const DEFAULT_PORTS = {
  postgres: 54329,
  registry: 8761,
  gateway: 8080,
  control: 8790,
  config: 8888,
  console: 8081,
} as const

/**
 * Names the platform uses for itself: its processes' instance keys, database
 * and role names, and the Postgres transport's broker database.
 */
export const RESERVED_SERVICE_NAMES = [
  'registry',
  'gateway',
  'config',
  'control',
  'console',
  'postgres',
  'trellis-broker',
] as const

const GATEWAY_DEFAULTS = {
  timeoutMs: 10_000,
  // One more instance for a request that found a dead or draining one.
  retries: 1,
  breaker: { failures: 5, halfOpenAfterMs: 5_000 },
}

export async function loadTopology(file: string): Promise<Topology> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw TopologyErrors.unreadable(file, (error as Error).message)
  }
  return parseTopology(text, file)
}

export function parseTopology(text: string, file: string): Topology {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    throw TopologyErrors.invalid(file, (error as Error).message)
  }
  if (!Value.Check(TopologySchema, raw)) {
    const problems = [...Value.Errors(TopologySchema, raw)]
      .slice(0, 5)
      .map((e) => `${e.path || '/'} ${e.message}`)
      .join('; ')
    throw TopologyErrors.invalid(file, problems)
  }
  const doc = raw as TopologyFile
  const root = dirname(resolve(file))
  const services: ServiceSpec[] = Object.entries(doc.services).map(([name, s]) => {
    const dir = resolve(root, s.path)
    return {
      name,
      dir,
      entry: resolve(dir, s.entry ?? 'dist/main.js'),
      replicas: s.replicas ?? 1,
      database: s.database ?? false,
      expose: s.expose && {
        prefix: s.expose.prefix,
        rewrite: s.expose.rewrite ?? '/',
        timeoutMs: s.expose.timeoutMs ?? GATEWAY_DEFAULTS.timeoutMs,
        retries: s.expose.retries ?? GATEWAY_DEFAULTS.retries,
        breaker:
          s.expose.breaker === false
            ? { failures: 0, halfOpenAfterMs: GATEWAY_DEFAULTS.breaker.halfOpenAfterMs }
            : { ...GATEWAY_DEFAULTS.breaker, ...s.expose.breaker },
      },
      env: s.env ?? {},
    }
  })
  for (const s of services) {
    if ((RESERVED_SERVICE_NAMES as readonly string[]).includes(s.name))
      throw TopologyErrors.invalid(
        file,
        `service name ${s.name} is reserved for the platform; choose another`,
      )
  }
  const transport = doc.messaging?.transport ?? 'postgres'
  if (transport !== 'postgres' && !doc.messaging?.url)
    throw TopologyErrors.invalid(file, `messaging.transport ${transport} needs messaging.url`)
  const prefixes = new Map<string, string>()
  for (const s of services) {
    if (!s.expose) continue
    const other = prefixes.get(s.expose.prefix)
    if (other)
      throw TopologyErrors.invalid(
        file,
        `services ${other} and ${s.name} expose the same prefix ${s.expose.prefix}`,
      )
    prefixes.set(s.expose.prefix, s.name)
  }
  const p = doc.platform ?? {}
  return {
    name: doc.name,
    root,
    messaging: { transport, url: doc.messaging?.url },
    ports: {
      postgres: p.postgres?.port ?? DEFAULT_PORTS.postgres,
      registry: p.registry?.port ?? DEFAULT_PORTS.registry,
      gateway: p.gateway?.port ?? DEFAULT_PORTS.gateway,
      control: p.control?.port ?? DEFAULT_PORTS.control,
      config: p.config?.port ?? DEFAULT_PORTS.config,
      console: p.console?.port ?? DEFAULT_PORTS.console,
    },
    services,
  }
}
