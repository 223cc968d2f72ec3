import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { isTrellisError } from '../errors/define-error.js'
import { defineSettings, envName, loadSettings, setting } from './settings.js'

const Settings = defineSettings({
  pageSize: setting(Type.Integer({ minimum: 1, maximum: 100 }), 20, 'page size'),
  enabled: setting(Type.Boolean(), false, 'feature flag'),
  mode: setting(Type.Union([Type.Literal('fast'), Type.Literal('safe')]), 'safe', 'mode'),
  tags: setting(Type.Array(Type.String()), [], 'tags'),
  apiKey: setting(Type.String({ minLength: 8 }), 'changeme!', 'a secret', { secret: true }),
  port: setting(Type.Integer(), 0, 'port', { env: 'PORT' }),
})

describe('settings', () => {
  it('uses defaults when the environment says nothing', () => {
    expect(loadSettings(Settings, {}, 'catalog')).toEqual({
      pageSize: 20,
      enabled: false,
      mode: 'safe',
      tags: [],
      apiKey: 'changeme!',
      port: 0,
    })
  })

  it('reads TRELLIS_<SCOPE>_<KEY> and converts by schema', () => {
    const values = loadSettings(
      Settings,
      {
        TRELLIS_CATALOG_PAGE_SIZE: '50',
        TRELLIS_CATALOG_ENABLED: 'yes',
        TRELLIS_CATALOG_MODE: 'fast',
        TRELLIS_CATALOG_TAGS: 'a, b',
        PORT: '8080',
      },
      'catalog',
    )
    expect(values).toMatchObject({ pageSize: 50, enabled: true, mode: 'fast', tags: ['a', 'b'], port: 8080 })
  })

  it('names variables after scope and key, or the explicit env', () => {
    expect(envName('catalog', 'pageSize', Settings.specs.pageSize)).toBe('TRELLIS_CATALOG_PAGE_SIZE')
    expect(envName(undefined, 'pageSize', Settings.specs.pageSize)).toBe('TRELLIS_PAGE_SIZE')
    expect(envName('order-saga', 'x', Settings.specs.pageSize)).toBe('TRELLIS_ORDER_SAGA_X')
    expect(envName('catalog', 'port', Settings.specs.port)).toBe('PORT')
  })

  it('reports every bad value at once, with key, variable and reason, and hides secrets', () => {
    let caught: unknown
    try {
      loadSettings(
        Settings,
        {
          TRELLIS_X_PAGE_SIZE: '0',
          TRELLIS_X_ENABLED: 'maybe',
          TRELLIS_X_MODE: 'turbo',
          TRELLIS_X_API_KEY: 'short',
        },
        'x',
      )
    } catch (error) {
      caught = error
    }
    expect(isTrellisError(caught)).toBe(true)
    const error = caught as Error & {
      extensions: { problems: Array<{ key: string; env: string; value: string }> }
    }
    expect(error.extensions.problems.map((p) => p.key).sort()).toEqual([
      'apiKey',
      'enabled',
      'mode',
      'pageSize',
    ])
    expect(error.message).toContain('pageSize (TRELLIS_X_PAGE_SIZE="0")')
    expect(error.message).toContain('expected true or false')
    expect(error.message).not.toContain('short')
  })

  it('refuses a number that is not one', () => {
    expect(() => loadSettings(Settings, { TRELLIS_X_PAGE_SIZE: '12abc' }, 'x')).toThrow(/expected a number/)
  })

  it('refuses a default that does not fit its own schema at definition', () => {
    expect(() => defineSettings({ bad: setting(Type.Integer({ minimum: 1 }), 0, 'bad') })).toThrow(
      /does not fit its own schema/,
    )
  })
})
