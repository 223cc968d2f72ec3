import { Writable } from 'node:stream'
import {
  type Identity,
  type RunningService,
  runService,
  type ServiceDefinition,
  type SettingSpecs,
} from '@trellis/kit'
import { identityHeaders, testEdgeKeys } from './identity.js'
import { createTestDatabase } from './postgres.js'

export interface TestServiceOptions {
  /** Admin URL of a Postgres server; a fresh database is created on it for this service. */
  postgresUrl?: string
  /** Use this database instead of a fresh one (several replicas of one service). */
  databaseUrl?: string
  env?: Record<string, string>
  /** Collect the service's log lines instead of printing them. */
  logs?: string[]
}

export interface TestService extends RunningService {
  databaseUrl: string | undefined
  logs: string[]
  /** Headers that make a request to this service come from `identity` (as if through the gateway). */
  as(identity: Identity): Promise<Record<string, string>>
}

/** Runs one service in-process on a free port, with its own fresh database and its migrations applied. */
export async function startTestService<S extends SettingSpecs>(
  definition: ServiceDefinition<S>,
  options: TestServiceOptions = {},
): Promise<TestService> {
  const databaseUrl = !definition.database
    ? undefined
    : (options.databaseUrl ??
      (await createTestDatabase(requireUrl(options.postgresUrl, definition.name), definition.name)))
  const logs = options.logs ?? []
  const { edge } = await testEdgeKeys()
  const running = await runService(definition, {
    env: {
      TRELLIS_ENV: 'test',
      TRELLIS_LOG_LEVEL: 'info',
      TRELLIS_DEREGISTER_DELAY_MS: '0',
      // No collector runs beside a test service; a test that looks at spans turns tracing on.
      TRELLIS_TRACING_ENABLED: 'false',
      TRELLIS_EDGE_PUBLIC_KEYS: edge.publicKeys,
      ...(databaseUrl ? { TRELLIS_DATABASE_URL: databaseUrl } : {}),
      ...options.env,
    },
    logDestination: collect(logs),
  })
  return Object.assign(running, {
    databaseUrl,
    logs,
    as: (identity: Identity) => identityHeaders(definition.name, identity),
  })
}

function requireUrl(url: string | undefined, name: string): string {
  if (!url)
    throw new Error(
      `service ${name} has a database: pass postgresUrl (inject('postgresUrl') in a functional test)`,
    )
  return url
}

function collect(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(line)
      callback()
    },
  })
}
