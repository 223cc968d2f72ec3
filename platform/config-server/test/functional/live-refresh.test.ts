import { defineRoute, defineService, defineSettings, type SettingsChange, setting, Type } from '@trellis/kit'
import { createLogger } from '@trellis/kit/platform'
import { createRegistryApp } from '@trellis/registry'
import {
  createTestDatabase,
  eventually,
  http,
  startTestConfigServer,
  startTestService,
  type TestConfigServer,
  type TestService,
  tempHome,
} from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

// The kit's side of central configuration, against a real config server:
// live refresh, the version in /health and in the registry, and the
// fail-soft start from the last good configuration.

const ShopSettings = defineSettings({
  pageSize: setting(Type.Integer({ minimum: 1, maximum: 100 }), 20, 'items per page'),
  cacheSize: setting(Type.Integer({ minimum: 1 }), 10, 'read once at start', { apply: 'restart' }),
  apiKey: setting(Type.String(), 'none', 'a provider key', { secret: true }),
})

const changes = new Map<string, SettingsChange[]>()
const shop = defineService({
  name: 'shop',
  settings: ShopSettings,
  routes: (context) => {
    const seen: SettingsChange[] = []
    changes.set(context.instanceId, seen)
    context.config.onChange((change) => {
      seen.push({ ...change, settings: { ...change.settings } })
    })
    return [
      defineRoute({
        method: 'GET',
        url: '/settings',
        summary: 'the settings as the code reads them',
        auth: 'public',
        schema: {
          response: {
            200: Type.Object({
              pageSize: Type.Integer(),
              cacheSize: Type.Integer(),
              apiKey: Type.String(),
              level: Type.String(),
            }),
          },
        },
        handler: async () => ({ ...context.settings, level: context.log.level }),
      }),
    ]
  },
})

const silent = createLogger({ service: 'registry', instance: 'test', level: 'silent' })
let registry: Awaited<ReturnType<typeof startRegistry>>
let server: TestConfigServer | undefined
let databaseUrl: string
let cacheDir: { dir: string; remove(): Promise<void> }
const instances = new Map<string, TestService>()

async function startRegistry() {
  const { app, table } = createRegistryApp({
    log: silent,
    ttlMs: 1_000,
    heartbeatIntervalMs: 200,
    sweepIntervalMs: 50,
    maxWaitMs: 5_000,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  return { app, table, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }
}

// A restarted server keeps its database, key, token and address.
let secrets: { adminToken: string; encryptionKey: string } | undefined
let shopEnv: Record<string, string> = {}
async function startServer(port = 0) {
  server = await startTestConfigServer({ databaseUrl, port, ...secrets })
  secrets = { adminToken: server.adminToken, encryptionKey: server.encryptionKey }
  shopEnv = server.envFor('shop', { cacheDir: cacheDir.dir })
  return server
}

async function startShop(id: string, env: Record<string, string> = {}) {
  const instance = await startTestService(shop, {
    env: {
      TRELLIS_INSTANCE_ID: id,
      ...shopEnv,
      TRELLIS_REGISTRY_URL: registry.url,
      ...env,
    },
  })
  instances.set(id, instance)
  return instance
}

let configUrl: string
const change = (values: Record<string, unknown>) => server!.set('shop', values, { profile: 'test' })

const health = async (instance: TestService) => (await http(`${instance.url}/health`)).body
const readSettings = async (instance: TestService) => (await http(`${instance.url}/settings`)).body

async function allApplied(version: number, what: string) {
  await eventually(
    async () => {
      for (const instance of instances.values())
        if ((await health(instance)).config?.version !== version) return false
      return true
    },
    10_000,
    what,
  )
}

beforeAll(async () => {
  registry = await startRegistry()
  cacheDir = await tempHome('trellis-config-cache-')
  databaseUrl = await createTestDatabase(inject('postgresUrl'), 'config')
  configUrl = (await startServer()).url
})
afterAll(async () => {
  for (const instance of instances.values()) await instance.stop()
  await server?.stop()
  await registry.app.close()
  await cacheDir.remove()
})

describe('live configuration', () => {
  it('publishes its settings, applies changes to every instance without a restart, and reports the version', async () => {
    const one = await startShop('shop-1')
    // The environment is the instance's own default; the config server overrides it.
    const two = await startShop('shop-2', { TRELLIS_SHOP_PAGE_SIZE: '3' })
    expect((await readSettings(two)).pageSize).toBe(3)
    expect(await health(one)).toMatchObject({
      config: { version: 0, source: 'config-server', connected: true, profile: 'test', server: configUrl },
    })
    await eventually(
      async () => (await http(`${configUrl}/v1/applications/shop/schema`)).status === 200,
      5_000,
      'schema',
    )
    const schema = (await http(`${configUrl}/v1/applications/shop/schema`)).body.settings
    expect(Object.keys(schema).sort()).toEqual([
      'apiKey',
      'cacheSize',
      'kit.bodyLimitBytes',
      'kit.dbPoolMax',
      'kit.deregisterDelayMs',
      'kit.drainTimeoutMs',
      'kit.logLevel',
      'pageSize',
    ])
    expect(schema.apiKey).not.toHaveProperty('default')

    const version = await change({ pageSize: 7, apiKey: 'sk-shop-123', 'kit.logLevel': 'debug' })
    await allApplied(version, 'every instance at the new version')
    for (const instance of [one, two]) {
      expect(await readSettings(instance)).toEqual({
        pageSize: 7,
        cacheSize: 10,
        apiKey: 'sk-shop-123',
        level: 'debug',
      })
    }
    expect(changes.get('shop-1')!.at(-1)).toMatchObject({
      version,
      keys: ['pageSize', 'apiKey'],
      settings: { pageSize: 7 },
    })
    // The registry shows the version each instance runs, so a lagging one stands out.
    await eventually(
      () =>
        registry.table
          .instances('shop')
          .every((i) => (i.metadata['config'] as { version: number })?.version === version),
      5_000,
      'the version in the registry',
    )
    const watched = (await http(`${configUrl}/v1/applications/shop/instances`)).body.instances
    expect(watched.map((i: { instance: string; lagging: boolean }) => [i.instance, i.lagging])).toEqual([
      ['shop-1', false],
      ['shop-2', false],
    ])
    // Secrets never reach the log, not even in the line that lists the change.
    expect([...one.logs, ...two.logs].filter((l) => l.includes('sk-shop-123'))).toEqual([])
    expect(
      one.logs.some((l) => l.includes('"msg":"configuration applied"') && l.includes('[redacted]')),
    ).toBe(true)

    // Removing the central value lets the environment (or the default) show through again.
    const removed = await change({ pageSize: undefined })
    await allApplied(removed, 'the removal applied')
    expect((await readSettings(one)).pageSize).toBe(20)
    expect((await readSettings(two)).pageSize).toBe(3)
  })

  it('holds start-only settings for the next start, and refuses values that do not fit the instance', async () => {
    const [one] = instances.values()
    const version = await change({ cacheSize: 99 })
    await allApplied(version, 'the restart-only change seen')
    expect((await readSettings(one!)).cacheSize).toBe(10)
    expect((await health(one!)).config.pendingRestart).toEqual(['cacheSize'])

    // Another version of the service published a wider schema; this one refuses what it cannot run.
    const wide = await http(`${configUrl}/v1/applications/shop/schema`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server!.adminToken}` },
      body: {
        version: '2.0.0',
        instance: 'shop-9',
        settings: {
          pageSize: {
            schema: { type: 'integer', minimum: 1, maximum: 1000 },
            default: 20,
            doc: 'x',
            secret: false,
            apply: 'live',
          },
        },
      },
    })
    expect(wide.status).toBe(200)
    const refused = await change({ pageSize: 500 })
    await allApplied(refused, 'the refused change seen')
    expect((await readSettings(one!)).pageSize).toBe(20)
    expect((await health(one!)).config.rejected).toEqual([
      { key: 'pageSize', reason: 'Expected integer to be less or equal to 100' },
    ])
    expect((await health(one!)).status).toBe('ready')
    await allApplied(await change({ pageSize: 8 }), 'a fitting value applied')
  })

  it('starts from its last good configuration when the config server is down, and catches up when it returns', async () => {
    const latest = (await health(instances.get('shop-1')!)).config.version
    const port = server!.port
    await server!.stop()
    server = undefined
    for (const instance of instances.values())
      await eventually(
        async () => (await health(instance)).config.connected === false,
        10_000,
        'the outage seen',
      )

    await instances.get('shop-1')!.stop()
    const restarted = await startShop('shop-1', { TRELLIS_CONFIG_WAIT_MS: '300' })
    const report = await health(restarted)
    expect(report.status).toBe('ready')
    expect(report.config).toMatchObject({ version: latest, source: 'last-good', connected: false })
    expect(report.config.lastError).toMatch(/did not answer/)
    expect(await readSettings(restarted)).toMatchObject({ pageSize: 8, cacheSize: 99, apiKey: 'sk-shop-123' })

    // A new instance with nothing saved starts from its environment, and says so.
    const fresh = await startShop('shop-3', { TRELLIS_CONFIG_WAIT_MS: '300' })
    expect((await health(fresh)).config).toMatchObject({
      version: null,
      source: 'environment',
      connected: false,
    })
    expect((await readSettings(fresh)).pageSize).toBe(20)

    await startServer(port)
    for (const instance of instances.values())
      await eventually(
        async () => {
          const { config } = await health(instance)
          return config.connected && config.source === 'config-server' && config.version === latest
        },
        10_000,
        'the watch recovered',
      )
    expect((await readSettings(fresh)).pageSize).toBe(8)
    const version = await change({ pageSize: 9 })
    await allApplied(version, 'a change after the recovery applied')
    for (const instance of instances.values()) expect((await readSettings(instance)).pageSize).toBe(9)
  })

  it('runs on its environment alone when no config server is set, exactly as before', async () => {
    const plain = await startTestService(shop, { env: { TRELLIS_SHOP_PAGE_SIZE: '4' } })
    try {
      const report = await health(plain)
      expect(report).not.toHaveProperty('config')
      expect(await readSettings(plain)).toMatchObject({ pageSize: 4, cacheSize: 10 })
      expect(plain.context.config).toMatchObject({ version: null, source: 'environment' })
    } finally {
      await plain.stop()
    }
  })

  it('refuses to start with a config server but no token', async () => {
    await expect(startTestService(shop, { env: { TRELLIS_CONFIG_URL: configUrl } })).rejects.toThrow(
      /TRELLIS_CONFIG_URL is set but TRELLIS_CONFIG_TOKEN is not/,
    )
  })
})
