import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { LiveSettings } from './live-settings.js'
import { defineSettings, loadSettings, setting } from './settings.js'

const Service = defineSettings({
  pageSize: setting(Type.Integer({ minimum: 1, maximum: 100 }), 20, 'page size'),
  poolSize: setting(Type.Integer({ minimum: 1 }), 5, 'read at start', { apply: 'restart' }),
  port: setting(Type.Integer(), 0, 'where to listen', { apply: 'env' }),
  apiKey: setting(Type.String(), 'none', 'a key', { secret: true }),
})
const Kit = defineSettings({
  logLevel: setting(Type.Union([Type.Literal('info'), Type.Literal('debug')]), 'info', 'log level'),
})

function make(env: Record<string, string> = {}) {
  const service = loadSettings(Service, env, 'shop')
  const kit = loadSettings(Kit, env, 'kit')
  const errors: unknown[] = []
  const live = new LiveSettings(
    [
      { namespace: '', definition: Service, values: service },
      { namespace: 'kit', definition: Kit, values: kit },
    ],
    (error) => errors.push(error),
  )
  return { live, service, kit, errors }
}

describe('live settings', () => {
  it('lays the config server over the environment, which lies over the defaults', () => {
    const { live, service, kit } = make({ TRELLIS_SHOP_PAGE_SIZE: '30' })
    expect(service.pageSize).toBe(30)
    const result = live.apply(
      { pageSize: 40, 'kit.logLevel': 'debug' },
      { version: 3, source: 'config-server' },
    )
    expect(result.changed).toEqual(['pageSize', 'kit.logLevel'])
    expect(service.pageSize).toBe(40)
    expect(kit.logLevel).toBe('debug')
    expect(live.version).toBe(3)
    // A key the server no longer sets falls back to the environment, not to the default.
    live.apply({}, { version: 4, source: 'config-server' })
    expect(service.pageSize).toBe(30)
    expect(kit.logLevel).toBe('info')
  })

  it('keeps the previous value when a central value does not fit the local schema', () => {
    const { live, service } = make()
    live.apply({ pageSize: 50 }, { version: 1, source: 'config-server' })
    const result = live.apply({ pageSize: 500 }, { version: 2, source: 'config-server' })
    expect(result.rejected).toEqual([
      { key: 'pageSize', reason: expect.stringMatching(/less or equal to 100/) },
    ])
    expect(service.pageSize).toBe(50)
    expect(live.rejected).toHaveLength(1)
    live.apply({ pageSize: 60 }, { version: 3, source: 'config-server' })
    expect(live.rejected).toEqual([])
  })

  it('applies start-only settings at boot and reports later changes as pending a restart', () => {
    const { live, service } = make()
    live.apply({ poolSize: 8 }, { version: 1, source: 'last-good', boot: true })
    expect(service.poolSize).toBe(8)
    const result = live.apply({ poolSize: 12 }, { version: 2, source: 'config-server' })
    expect(result).toMatchObject({ changed: [], pendingRestart: ['poolSize'] })
    expect(service.poolSize).toBe(8)
    live.apply({ poolSize: 8 }, { version: 3, source: 'config-server' })
    expect(live.pendingRestart).toEqual([])
  })

  it('never takes an environment-only setting from the server, and says which keys it does not know', () => {
    const { live, service } = make()
    const result = live.apply(
      { port: 9999, 'kit.port': 1, other: 1 },
      { version: 1, source: 'config-server' },
    )
    expect(service.port).toBe(0)
    expect(result.unknown.sort()).toEqual(['kit.port', 'other', 'port'])
  })

  it("calls each group's listeners after a change, not at boot, and survives a failing listener", async () => {
    const { live, errors } = make()
    const seen: unknown[] = []
    live.view('').onChange((change) => {
      seen.push({ version: change.version, keys: change.keys })
    })
    live.view('').onChange(() => {
      throw new Error('listener bug')
    })
    const remove = live.view('kit').onChange(() => {
      seen.push('kit')
    })
    live.apply({ pageSize: 2 }, { version: 1, source: 'config-server', boot: true })
    expect(seen).toEqual([])
    live.apply({ pageSize: 3, 'kit.logLevel': 'debug' }, { version: 2, source: 'config-server' })
    expect(seen).toEqual([{ version: 2, keys: ['pageSize'] }, 'kit'])
    expect(errors).toHaveLength(1)
    remove()
    live.apply({ pageSize: 3 }, { version: 3, source: 'config-server' })
    expect(seen).toHaveLength(2)
  })

  it('describes what the config server may set, without environment-only settings or secret defaults', () => {
    const { live } = make()
    const described = live.describe()
    expect(Object.keys(described).sort()).toEqual(['apiKey', 'kit.logLevel', 'pageSize', 'poolSize'])
    expect(described['pageSize']).toEqual({
      schema: { type: 'integer', minimum: 1, maximum: 100 },
      default: 20,
      doc: 'page size',
      secret: false,
      apply: 'live',
    })
    expect(described['apiKey']).not.toHaveProperty('default')
    expect(live.redact({ apiKey: 'sk-1', pageSize: 3 })).toEqual({ apiKey: '[redacted]', pageSize: 3 })
  })
})
