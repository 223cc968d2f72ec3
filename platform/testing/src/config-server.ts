import { randomBytes } from 'node:crypto'
import { configServer, serviceToken } from '@trellis/config-server'
import { http } from './http.js'
import { createTestDatabase } from './postgres.js'
import { startTestService, type TestService } from './service.js'

export interface TestConfigServer extends TestService {
  adminToken: string
  encryptionKey: string
  /** The environment a service under test needs to use this config server. */
  envFor(service: string, options?: { cacheDir?: string }): Record<string, string>
  /** Writes one revision (as the admin); returns its version. `undefined` removes a key. */
  set(
    application: string,
    values: Record<string, unknown>,
    options?: { profile?: string; instance?: string; message?: string },
  ): Promise<number>
}

export interface TestConfigServerOptions {
  /** Admin URL of a Postgres server; a fresh database is created on it. */
  postgresUrl?: string
  /** Use this database instead (a restarted config server keeps its data). */
  databaseUrl?: string
  /** Listen here (a restarted config server at the same address); a free port by default. */
  port?: number
  adminToken?: string
  encryptionKey?: string
}

/** A config server in-process, on its own fresh database, with generated key and admin token. */
export async function startTestConfigServer(options: TestConfigServerOptions): Promise<TestConfigServer> {
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url')
  const encryptionKey = options.encryptionKey ?? randomBytes(32).toString('base64url')
  const databaseUrl =
    options.databaseUrl ?? (await createTestDatabase(requireUrl(options.postgresUrl), 'config'))
  const server = await startTestService(configServer, {
    databaseUrl,
    env: {
      TRELLIS_CONFIG_ENCRYPTION_KEY: encryptionKey,
      TRELLIS_CONFIG_ADMIN_TOKEN: adminToken,
      TRELLIS_PORT: String(options.port ?? 0),
    },
  })
  return Object.assign(server, {
    adminToken,
    encryptionKey,
    envFor: (service: string, env: { cacheDir?: string } = {}) => ({
      TRELLIS_CONFIG_URL: server.url,
      TRELLIS_CONFIG_TOKEN: serviceToken(adminToken, service),
      ...(env.cacheDir ? { TRELLIS_CONFIG_CACHE_DIR: env.cacheDir } : {}),
    }),
    set: async (
      application: string,
      values: Record<string, unknown>,
      where: { profile?: string; instance?: string; message?: string } = {},
    ) => {
      const res = await http(`${server.url}/v1/revisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
        body: {
          message: where.message ?? 'test',
          changes: Object.entries(values).map(([key, value]) => ({
            application,
            ...(where.profile ? { profile: where.profile } : {}),
            ...(where.instance ? { instance: where.instance } : {}),
            key,
            ...(value === undefined ? { remove: true } : { value }),
          })),
        },
      })
      if (res.status !== 201)
        throw new Error(`config change refused (${res.status}): ${JSON.stringify(res.body)}`)
      return res.body.version as number
    },
  })
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error("startTestConfigServer needs postgresUrl (inject('postgresUrl')) or databaseUrl")
  return url
}
