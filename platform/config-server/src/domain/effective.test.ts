import { describe, expect, it } from 'vitest'
import { diffEffective, mergeLayers, type Property, redactValues } from './effective.js'
import { layersOf } from './layers.js'

const at = (
  application: string,
  profile: string,
  instance: string,
  key: string,
  value: unknown,
  secret = false,
): Property => ({
  application,
  profile,
  instance,
  key,
  value,
  secret,
  version: 1,
})

const properties = [
  at('*', 'default', '', 'level', 'global'),
  at('*', 'prod', '', 'level', 'global-prod'),
  at('*', 'prod', '', 'timeout', 5),
  at('shop', 'default', '', 'level', 'shop'),
  at('shop', 'default', '', 'timeout', 7),
  at('shop', 'prod', '', 'level', 'shop-prod'),
  at('shop', 'default', 'shop-2', 'level', 'shop-2'),
  at('shop', 'default', '', 'apiKey', 'sk-1', true),
  at('other', 'default', '', 'level', 'other'),
]

describe('precedence', () => {
  it('orders the layers global, global-profile, application, application-profile, instance', () => {
    expect(layersOf('shop', 'prod', 'shop-2').map((l) => l.name)).toEqual([
      'global',
      'global-profile',
      'application',
      'application-profile',
      'instance',
    ])
    expect(layersOf('shop', 'default').map((l) => l.name)).toEqual(['global', 'application'])
    expect(layersOf('shop', 'prod', 'shop-2').at(-1)!.scope).toEqual({
      application: 'shop',
      profile: 'default',
      instance: 'shop-2',
    })
  })

  it('lets the higher layer win key by key', () => {
    const prod = mergeLayers(layersOf('shop', 'prod', 'shop-1'), properties, 9)
    expect(prod.values).toEqual({ apiKey: 'sk-1', level: 'shop-prod', timeout: 7 })
    expect(prod.sources).toEqual({
      apiKey: 'application',
      level: 'application-profile',
      timeout: 'application',
    })
    expect(prod.version).toBe(9)
    expect(mergeLayers(layersOf('shop', 'prod', 'shop-2'), properties, 9).values['level']).toBe('shop-2')
    expect(mergeLayers(layersOf('other', 'prod'), properties, 9).values).toEqual({
      level: 'other',
      timeout: 5,
    })
    expect(mergeLayers(layersOf('shop', 'local'), properties, 9).values['level']).toBe('shop')
  })

  it('redacts secrets unless revealed, and in diffs', () => {
    const shop = mergeLayers(layersOf('shop', 'default'), properties, 1)
    expect(shop.secrets).toEqual(['apiKey'])
    expect(redactValues(shop, false)['apiKey']).toBe('[redacted]')
    expect(redactValues(shop, true)['apiKey']).toBe('sk-1')
    const later = mergeLayers(
      layersOf('shop', 'default'),
      [...properties, at('shop', 'default', '', 'apiKey', 'sk-2', true)],
      2,
    )
    expect(diffEffective(shop, later)).toEqual([
      {
        key: 'apiKey',
        before: '[redacted]',
        after: '[redacted]',
        beforeSource: 'application',
        afterSource: 'application',
        secret: true,
      },
    ])
    expect(diffEffective(shop, shop)).toEqual([])
  })
})
