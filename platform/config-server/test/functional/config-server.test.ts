import { randomBytes } from 'node:crypto'
import { defineSettings, setting, Type } from '@trellis/kit'
import { LiveSettings, loadSettings, RuntimeSettings } from '@trellis/kit/platform'
import { createTestDatabase, eventually, http, startTestService, type TestService } from '@trellis/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { configServer, serviceToken } from '../../src/index.js'

// The config server end to end over HTTP with its real database.
const ADMIN = randomBytes(24).toString('base64url')
const KEY = randomBytes(32).toString('base64url')
const SECRET = 'sk_live_correct-horse-battery-staple'

const CatalogSettings = defineSettings({
  defaultPageSize: setting(Type.Integer({ minimum: 1, maximum: 100 }), 20, 'page size'),
  maxPageSize: setting(Type.Integer({ minimum: 1, maximum: 500 }), 100, 'largest page'),
  apiKey: setting(Type.String({ minLength: 8 }), 'changeme!', 'a provider key', { secret: true }),
  mode: setting(Type.Union([Type.Literal('fast'), Type.Literal('safe')]), 'safe', 'mode', {
    apply: 'restart',
  }),
})
const InventorySettings = defineSettings({
  defaultPageSize: setting(Type.Integer({ minimum: 1, maximum: 50 }), 20, 'page size'),
})

let server: TestService
let databaseUrl: string
const admin = { authorization: `Bearer ${ADMIN}` }
const asService = (name: string) => ({ authorization: `Bearer ${serviceToken(ADMIN, name)}` })

function schemaOf(definition: typeof CatalogSettings | typeof InventorySettings) {
  return new LiveSettings([
    { namespace: '', definition, values: loadSettings(definition, {}) },
    { namespace: 'kit', definition: RuntimeSettings, values: loadSettings(RuntimeSettings, {}) },
  ]).describe()
}

async function publish(application: string, definition: typeof CatalogSettings | typeof InventorySettings) {
  const res = await http(`${server.url}/v1/applications/${application}/schema`, {
    method: 'PUT',
    headers: asService(application),
    body: { version: '1.0.0', instance: `${application}-1`, settings: schemaOf(definition) },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
}

async function change(changes: unknown[], message = 'test change', headers: Record<string, string> = admin) {
  return http(`${server.url}/v1/revisions`, {
    method: 'POST',
    headers,
    body: { message, author: 'tester', changes },
  })
}

async function effective(application: string, query = '', headers: Record<string, string> = {}) {
  return http(`${server.url}/v1/applications/${application}/config${query ? `?${query}` : ''}`, { headers })
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase(inject('postgresUrl'), 'config')
  server = await startTestService(configServer, {
    databaseUrl,
    env: { TRELLIS_CONFIG_ENCRYPTION_KEY: KEY, TRELLIS_CONFIG_ADMIN_TOKEN: ADMIN },
  })
  await publish('catalog', CatalogSettings)
  await publish('inventory', InventorySettings)
})
afterAll(() => server?.stop())

describe('config server', () => {
  it('merges global, application, profile and instance layers in that order', async () => {
    const res = await change([
      { application: '*', key: 'kit.logLevel', value: 'warn' },
      { application: '*', profile: 'prod', key: 'kit.logLevel', value: 'error' },
      { application: '*', profile: 'prod', key: 'kit.drainTimeoutMs', value: 5000 },
      { application: 'catalog', key: 'defaultPageSize', value: 10 },
      { application: 'catalog', key: 'kit.drainTimeoutMs', value: 7000 },
      { application: 'catalog', profile: 'prod', key: 'defaultPageSize', value: 30 },
      { application: 'catalog', instance: 'catalog-2', key: 'defaultPageSize', value: 40 },
    ])
    expect(res.status, JSON.stringify(res.body)).toBe(201)

    const base = (await effective('catalog', 'profile=default')).body
    expect(base.values).toMatchObject({
      'kit.logLevel': 'warn',
      defaultPageSize: 10,
      'kit.drainTimeoutMs': 7000,
    })
    expect(base.sources).toMatchObject({ 'kit.logLevel': 'global', defaultPageSize: 'application' })

    const prod1 = (await effective('catalog', 'profile=prod&instance=catalog-1')).body
    // The application's base beats a global value for the profile; the profile beats the base.
    expect(prod1.values).toMatchObject({
      'kit.logLevel': 'error',
      defaultPageSize: 30,
      'kit.drainTimeoutMs': 7000,
    })
    expect(prod1.sources).toMatchObject({
      'kit.logLevel': 'global-profile',
      defaultPageSize: 'application-profile',
      'kit.drainTimeoutMs': 'application',
    })
    const prod2 = (await effective('catalog', 'profile=prod&instance=catalog-2')).body
    expect(prod2.values.defaultPageSize).toBe(40)
    expect(prod2.sources.defaultPageSize).toBe('instance')
    expect(prod2.version).toBe(res.body.version)

    const inventory = (await effective('inventory', 'profile=prod')).body
    expect(inventory.values).toEqual({ 'kit.logLevel': 'error', 'kit.drainTimeoutMs': 5000 })
  })

  it('refuses values that do not fit the published schema, with the reason, and stores nothing', async () => {
    const before = (await http(`${server.url}/v1/revisions?limit=1`)).body.items[0]?.version ?? 0
    const res = await change([
      { application: 'catalog', key: 'defaultPageSize', value: 0 },
      { application: 'catalog', key: 'mode', value: 'turbo' },
      { application: 'catalog', key: 'pageSize', value: 5 },
      { application: 'catalog', profile: 'staging', key: 'maxPageSize', value: 5 },
      { application: 'catalog', key: 'kit.port', value: 9999 },
      { application: 'catalog', profile: 'prod', instance: 'catalog-1', key: 'maxPageSize', value: 50 },
      { application: '*', key: 'defaultPageSize', value: 80 },
      { application: 'catalog', key: 'maxPageSize', value: 'many' },
      { application: 'search', key: 'x', value: 1 },
      // Valid, but refused with the rest: a revision is all or nothing.
      { application: 'inventory', key: 'defaultPageSize', value: 9 },
    ])
    expect(res.status).toBe(422)
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(res.body.code).toBe('TRELLIS_CONFIG_CHANGE_REJECTED')
    const reasons = Object.fromEntries(
      res.body.errors.map((e: { application: string; profile: string; key: string; reason: string }) => [
        `${e.application}/${e.profile}/${e.key}`,
        e.reason,
      ]),
    )
    expect(reasons).toEqual({
      'catalog/default/defaultPageSize': 'must be >= 1',
      'catalog/default/mode': 'must be one of "fast", "safe"',
      'catalog/default/pageSize': expect.stringMatching(
        /^catalog declares no setting pageSize; it declares /,
      ),
      'catalog/staging/maxPageSize': 'unknown profile staging; known: default, local, test, prod',
      // Where an instance listens is for its environment alone.
      'catalog/default/kit.port': expect.stringMatching(/declares no setting kit.port/),
      'catalog/prod/maxPageSize':
        'an instance override applies whatever the profile the instance runs; leave the profile out',
      // A global value must fit every application that declares the key.
      '*/default/defaultPageSize': 'inventory: must be <= 50',
      'catalog/default/maxPageSize': 'expected a number',
      'search/default/x':
        'application search has not published its settings; start one of its instances first',
    })
    const after = (await http(`${server.url}/v1/revisions?limit=1`)).body.items[0]?.version ?? 0
    expect(after).toBe(before)
    expect((await effective('inventory')).body.values.defaultPageSize).toBeUndefined()
  })

  it('converts a value given as text by its schema, as an environment variable would be', async () => {
    const res = await change([{ application: 'catalog', profile: 'test', key: 'maxPageSize', value: '250' }])
    expect(res.status).toBe(201)
    expect((await effective('catalog', 'profile=test')).body.values.maxPageSize).toBe(250)
  })

  it('keeps secrets encrypted at rest and redacted everywhere but in an explicit reveal', async () => {
    const set = await change(
      [{ application: 'catalog', key: 'apiKey', value: SECRET }],
      'rotate the provider key',
    )
    expect(set.status).toBe(201)
    expect(JSON.stringify(set.body)).not.toContain(SECRET)
    expect(set.body.changes[0]).toMatchObject({ key: 'apiKey', secret: true, value: '[redacted]' })

    // The database holds no secret in clear: every row of every table, as text.
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      const { rows: tables } = await client.query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
      )
      expect(tables.map((t) => t.name)).toContain('config_change')
      for (const { name } of tables) {
        const { rows } = await client.query(`SELECT * FROM "${name}"`)
        expect(JSON.stringify(rows), name).not.toContain(SECRET)
        expect(JSON.stringify(rows), name).not.toContain('correct-horse')
      }
      const { rows } = await client.query("SELECT sealed, value FROM config_change WHERE key = 'apiKey'")
      expect(rows[0]).toMatchObject({ sealed: expect.stringMatching(/^v1\./), value: null })
    } finally {
      await client.end()
    }

    const anonymous = (await effective('catalog')).body
    expect(anonymous.values.apiKey).toBe('[redacted]')
    expect(anonymous).toMatchObject({ secrets: ['apiKey'], redacted: true })
    expect((await effective('catalog', '', admin)).body.values.apiKey).toBe('[redacted]')
    expect((await effective('catalog', 'reveal=true', admin)).body.values.apiKey).toBe(SECRET)
    expect((await effective('catalog', 'reveal=true')).status).toBe(401)
    expect((await effective('catalog', 'reveal=true', asService('catalog'))).status).toBe(403)
    // A service reads its own secrets in clear, and nobody else's configuration.
    expect((await effective('catalog', '', asService('catalog'))).body.values.apiKey).toBe(SECRET)
    expect((await effective('catalog', '', asService('inventory'))).status).toBe(403)

    const history = await http(`${server.url}/v1/revisions?application=catalog`)
    expect(JSON.stringify(history.body)).not.toContain(SECRET)
    const diff = await http(`${server.url}/v1/applications/catalog/diff?from=${set.body.version - 1}`)
    expect(diff.body.changes).toEqual([
      { key: 'apiKey', after: '[redacted]', afterSource: 'application', secret: true },
    ])
    // The reveal is logged, by key; the value never is.
    await eventually(
      () => server.logs.some((l) => l.includes('secrets revealed')),
      5_000,
      'the reveal logged',
    )
    expect(server.logs.filter((l) => l.includes('correct-horse'))).toEqual([])
  })

  it('keeps history and rolls back to a version as a new revision', async () => {
    const v1 = (
      await change([{ application: 'inventory', key: 'defaultPageSize', value: 5 }], 'smaller pages')
    ).body
    const v2 = (
      await change(
        [
          { application: 'inventory', key: 'defaultPageSize', value: 7 },
          { application: 'inventory', profile: 'local', key: 'kit.logLevel', value: 'debug' },
        ],
        'debug locally',
      )
    ).body
    expect(v2.version).toBeGreaterThan(v1.version)

    const history = (await http(`${server.url}/v1/revisions?application=inventory&limit=5`)).body.items
    expect(history[0]).toMatchObject({ version: v2.version, author: 'tester', message: 'debug locally' })
    expect(history[0].createdAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(history.map((r: { version: number }) => r.version)).toContain(v1.version)

    const diff = (
      await http(
        `${server.url}/v1/applications/inventory/diff?profile=local&from=${v1.version}&to=${v2.version}`,
      )
    ).body
    expect(diff.changes).toEqual([
      {
        key: 'defaultPageSize',
        before: 5,
        after: 7,
        beforeSource: 'application',
        afterSource: 'application',
        secret: false,
      },
      {
        key: 'kit.logLevel',
        before: 'warn',
        after: 'debug',
        beforeSource: 'global',
        afterSource: 'application-profile',
        secret: false,
      },
    ])

    const rollback = await http(`${server.url}/v1/applications/inventory/rollback`, {
      method: 'POST',
      headers: admin,
      body: { to: v1.version, author: 'tester' },
    })
    expect(rollback.status, JSON.stringify(rollback.body)).toBe(201)
    expect(rollback.body).toMatchObject({
      changed: true,
      rollbackTo: v1.version,
      message: `roll inventory back to version ${v1.version}`,
    })
    const local = (await effective('inventory', 'profile=local')).body
    expect(local.values).toMatchObject({ defaultPageSize: 5, 'kit.logLevel': 'warn' })
    expect(local.version).toBe(rollback.body.version)

    const again = await http(`${server.url}/v1/applications/inventory/rollback`, {
      method: 'POST',
      headers: admin,
      body: { to: v1.version },
    })
    expect(again.body).toEqual({ changed: false, version: rollback.body.version })
    const future = await http(`${server.url}/v1/applications/inventory/rollback`, {
      method: 'POST',
      headers: admin,
      body: { to: 1_000_000 },
    })
    expect(future.status).toBe(404)
    expect(future.body.code).toBe('TRELLIS_CONFIG_VERSION_UNKNOWN')
  })

  it('lets only an admin write, and refuses a token that is not valid', async () => {
    const body = [{ application: 'catalog', key: 'defaultPageSize', value: 11 }]
    expect((await change(body, 'x', {})).status).toBe(401)
    const service = await change(body, 'x', asService('catalog'))
    expect(service.status).toBe(403)
    expect(service.body.detail).toBe('service catalog may not change the configuration')
    expect((await change(body, 'x', { authorization: 'Bearer svc.catalog.forged' })).status).toBe(401)
    expect(
      (
        await change(body, 'x', {
          authorization: `Bearer ${serviceToken('another-admin-token-000000', 'catalog')}`,
        })
      ).status,
    ).toBe(401)
    const publish = await http(`${server.url}/v1/applications/catalog/schema`, {
      method: 'PUT',
      headers: asService('inventory'),
      body: { version: '1', instance: 'x', settings: {} },
    })
    expect(publish.status).toBe(403)
  })

  it('answers a blocking query when the configuration changes, and tracks the version each instance runs', async () => {
    const now = (await effective('catalog', 'profile=local&instance=catalog-9', asService('catalog'))).body
      .version
    const watch = effective(
      'catalog',
      `profile=local&instance=catalog-9&after=${now}&wait=20000`,
      asService('catalog'),
    )
    await eventually(
      async () => {
        const { body } = await http(`${server.url}/v1/applications/catalog/instances`)
        return body.instances.find(
          (i: { instance: string; watching: boolean }) => i.instance === 'catalog-9' && i.watching,
        )
      },
      5_000,
      'the watch seen',
    )
    const written = await change([
      { application: 'catalog', profile: 'local', key: 'defaultPageSize', value: 12 },
    ])
    const answered = (await watch).body
    expect(answered.version).toBe(written.body.version)
    expect(answered.values.defaultPageSize).toBe(12)
    const { body } = await http(`${server.url}/v1/applications/catalog/instances`)
    expect(body.instances.find((i: { instance: string }) => i.instance === 'catalog-9')).toMatchObject({
      profile: 'local',
      version: written.body.version,
      latest: written.body.version,
      lagging: false,
      watching: false,
    })
  })

  it('answers each read with the values of the version it reports, while writes go on', async () => {
    // maxPageSize follows the revisions; a read labelled with version v must show v's value.
    const valueAt = new Map<number, number>()
    const reads: Array<{ version: number; value: number }> = []
    let writing = true
    const reader = (async () => {
      while (writing) {
        const body = (await effective('catalog', 'profile=test')).body
        reads.push({ version: body.version, value: body.values.maxPageSize })
      }
    })()
    for (let n = 101; n <= 140; n++) {
      const res = await change([{ application: 'catalog', profile: 'test', key: 'maxPageSize', value: n }])
      expect(res.status).toBe(201)
      valueAt.set(res.body.version, n)
    }
    writing = false
    await reader
    const during = reads.filter((r) => valueAt.has(r.version))
    expect(during.length).toBeGreaterThan(0)
    for (const read of during) expect(read.value).toBe(valueAt.get(read.version))
  })

  it('refuses to start with a key that does not open the stored secrets', async () => {
    await expect(
      startTestService(configServer, {
        databaseUrl,
        env: {
          TRELLIS_CONFIG_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
          TRELLIS_CONFIG_ADMIN_TOKEN: ADMIN,
        },
      }),
    ).rejects.toThrow(/the encryption key does not open the stored secrets/)
  })

  it('refuses to start without a key or an admin token', async () => {
    await expect(
      startTestService(configServer, { databaseUrl, env: { TRELLIS_CONFIG_ADMIN_TOKEN: ADMIN } }),
    ).rejects.toThrow(/TRELLIS_CONFIG_ENCRYPTION_KEY is not set/)
    await expect(
      startTestService(configServer, { databaseUrl, env: { TRELLIS_CONFIG_ENCRYPTION_KEY: KEY } }),
    ).rejects.toThrow(/TRELLIS_CONFIG_ADMIN_TOKEN is not set/)
  })
})
