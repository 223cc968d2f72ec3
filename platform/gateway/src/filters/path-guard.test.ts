import { describe, expect, it } from 'vitest'
import type { GatewayContext } from './filter.js'
import { pathGuard } from './path-guard.js'

const run = (path: string) => () => pathGuard.run({ path } as GatewayContext)

describe('pathGuard', () => {
  it.each([
    ['/api/catalog/../inventory/stock', 'dot segment'],
    ['/api/catalog/%2e%2e/inventory', 'dot segment'],
    ['/api/catalog/./products', 'dot segment'],
    ['/api/catalog/products%2F1', 'encoded slash'],
    ['/api/catalog/products%5c1', 'encoded slash'],
    ['/api/catalog\\products', 'backslash'],
    ['/api//catalog', 'empty segment'],
    ['/api/catalog/%00', 'control character'],
    ['http://evil/api/catalog', 'must start with /'],
  ])('refuses %s (%s)', (path, reason) => {
    expect(run(path)).toThrowError(reason)
  })

  it('accepts ordinary paths, dots inside names and encoded spaces', () => {
    expect(run('/api/catalog/products')).not.toThrow()
    expect(run('/api/catalog/files/report.v2.json')).not.toThrow()
    expect(run('/api/catalog/products/a%20b')).not.toThrow()
  })
})
