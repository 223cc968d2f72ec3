import { eventually, http, runCli, startTestSystem, type TestSystem } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

// Central configuration in the whole system: the CLI changes a setting, every
// instance applies it live; the config server goes away and comes back.
let system: TestSystem

beforeAll(async () => {
  system = await startTestSystem({ postgresUrl: inject('postgresUrl'), databasePrefix: `cfg${process.pid}_` })
  await system.waitReady(90_000)
  // Each application publishes its settings when it starts; changes are checked against them.
  for (const application of ['catalog', 'inventory', 'gateway'])
    await eventually(
      async () => (await http(`${system.urls.config}/v1/applications/${application}/schema`)).status === 200,
      30_000,
      `${application} published its settings`,
    )
})
afterAll(() => system?.stop())

const trellis = (...args: string[]) =>
  runCli(args, { TRELLIS_HOME: system.home, TRELLIS_CONTROL_PORT: String(system.ports.control) })

async function set(application: string, key: string, value: string): Promise<number> {
  const { code, output } = await trellis(
    'config',
    'set',
    application,
    key,
    value,
    '-m',
    `test: ${key}=${value}`,
  )
  expect(code, output).toBe(0)
  return Number(/^version (\d+) by /m.exec(output)![1])
}

const running = (service: string) =>
  system.status().instances.filter((i) => i.service === service && i.phase === 'running' && i.port)
const health = async (port: number) => (await http(`http://127.0.0.1:${port}/health`)).body
const pageOf = async (port: number) =>
  (await http(`http://127.0.0.1:${port}/products`)).body.items.length as number

/** Polls until every running instance of `service` reports `check` true for its /health config. */
async function everyInstance(
  service: string,
  check: (config: Record<string, unknown>) => boolean,
  what: string,
) {
  await eventually(
    async () => {
      const instances = running(service)
      if (instances.length < 2) return false
      for (const i of instances) if (!check((await health(i.port!)).config ?? {})) return false
      return true
    },
    20_000,
    what,
  )
}

describe('central configuration', () => {
  it('changes a setting with the CLI and every instance applies it without a restart', async () => {
    const pids = running('catalog').map((i) => i.pid)
    const version = await set('catalog', 'defaultPageSize', '3')
    await everyInstance(
      'catalog',
      (c) => c['version'] === version,
      'every catalog instance at the new version',
    )
    for (const i of running('catalog')) expect(await pageOf(i.port!)).toBe(3)
    expect(running('catalog').map((i) => i.pid)).toEqual(pids)
    expect((await http(`${system.urls.gateway}/api/catalog/products`)).body.items).toHaveLength(3)

    // Which instance runs which version: in the registry, and at the config server.
    const { body: registry } = await http(`${system.urls.registry}/v1/services/catalog`)
    expect(
      registry.instances.map((i: { metadata: { config: { version: number } } }) => i.metadata.config.version),
    ).toEqual([version, version])
    const { body: watched } = await http(`${system.urls.config}/v1/applications/catalog/instances`)
    expect(watched.instances).toEqual([
      expect.objectContaining({ instance: 'catalog-1', version, lagging: false }),
      expect.objectContaining({ instance: 'catalog-2', version, lagging: false }),
    ])

    const get = await trellis('config', 'get', 'catalog', 'defaultPageSize')
    expect(get.output.trim()).toBe('3')
    const history = await trellis('config', 'history', 'catalog')
    expect(history.output).toContain(`v${version}`)
    expect(history.output).toContain('test: defaultPageSize=3')
  })

  it('refuses a value that does not fit, with the reason, and nothing reaches an instance', async () => {
    const before = (await health(running('catalog')[0]!.port!)).config.version
    const refused = await trellis('config', 'set', 'catalog', 'defaultPageSize', '0')
    expect(refused.code).toBe(1)
    expect(refused.output).toContain('catalog defaultPageSize: must be >= 1')
    expect((await health(running('catalog')[0]!.port!)).config.version).toBe(before)
  })

  it('gives the gateway the same live settings', async () => {
    const version = await set('gateway', 'accessLog', 'false')
    await eventually(
      async () => (await http(`${system.urls.gateway}/health/ready`)).body.config?.version === version,
      20_000,
      'the gateway at the new version',
    )
    await set('gateway', 'accessLog', 'true')
  })

  it('rolls back with the CLI', async () => {
    const history = (await http(`${system.urls.config}/v1/revisions?application=catalog&limit=50`)).body.items
    const first = history.at(-1).version as number
    const { code, output } = await trellis('config', 'rollback', 'catalog', String(first - 1))
    expect(code, output).toBe(0)
    expect(output).toContain('defaultPageSize removed')
    await everyInstance('catalog', (c) => c['version'] !== undefined, 'instances answering')
    await eventually(
      async () => {
        for (const i of running('catalog')) if ((await pageOf(i.port!)) !== 20) return false
        return true
      },
      20_000,
      'the default page size back',
    )
  })

  it('starts a service from its last good configuration while the config server is down, then catches up', async () => {
    const version = await set('catalog', 'defaultPageSize', '4')
    await everyInstance('catalog', (c) => c['version'] === version, 'the change applied')

    expect(system.hold('config-1')).toBe(true)
    await everyInstance('catalog', (c) => c['connected'] === false, 'the outage seen')
    const before = running('catalog').find((i) => i.key === 'catalog-1')!
    await system.restart('catalog-1')
    const restarted = await eventually(
      () => running('catalog').find((i) => i.key === 'catalog-1' && i.pid !== before.pid && i.ready),
      60_000,
      'catalog-1 restarted without the config server',
    )
    expect((await health(restarted.port!)).config).toMatchObject({
      version,
      source: 'last-good',
      connected: false,
    })
    expect(await pageOf(restarted.port!)).toBe(4)

    expect(system.release('config-1')).toBe(true)
    await everyInstance(
      'catalog',
      (c) => c['connected'] === true && c['source'] === 'config-server' && c['version'] === version,
      'the watchers recovered',
    )
    const next = await set('catalog', 'defaultPageSize', '6')
    await everyInstance('catalog', (c) => c['version'] === next, 'a change after the recovery applied')
    for (const i of running('catalog')) expect(await pageOf(i.port!)).toBe(6)
  })
})
