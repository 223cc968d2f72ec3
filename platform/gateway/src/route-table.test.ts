import { describe, expect, it } from 'vitest'
import { RouteTable } from './route-table.js'

const table = new RouteTable([
  { service: 'catalog', prefix: '/api/catalog', rewrite: '/', timeoutMs: 1000 },
  { service: 'catalog-admin', prefix: '/api/catalog/admin', rewrite: '/admin', timeoutMs: 1000 },
  { service: 'order', prefix: '/api/orders', rewrite: '/orders', timeoutMs: 1000 },
])

describe('RouteTable', () => {
  it('strips the prefix and keeps the rest of the path', () => {
    expect(table.match('/api/catalog/products/42')).toMatchObject({
      exposed: { service: 'catalog' },
      upstreamPath: '/products/42',
    })
  })

  it('maps the bare prefix to the rewrite root', () => {
    expect(table.match('/api/catalog')?.upstreamPath).toBe('/')
    expect(table.match('/api/catalog/')?.upstreamPath).toBe('/')
    expect(table.match('/api/orders')?.upstreamPath).toBe('/orders')
    expect(table.match('/api/orders/')?.upstreamPath).toBe('/orders/')
  })

  it('replaces the prefix with the rewrite', () => {
    expect(table.match('/api/orders/7/cancel')?.upstreamPath).toBe('/orders/7/cancel')
  })

  it('prefers the longest matching prefix', () => {
    expect(table.match('/api/catalog/admin/reindex')).toMatchObject({
      exposed: { service: 'catalog-admin' },
      upstreamPath: '/admin/reindex',
    })
  })

  it('does not match a sibling that only shares leading characters', () => {
    expect(table.match('/api/catalogue/products')).toBeUndefined()
    expect(table.match('/api/order')).toBeUndefined()
  })

  it('does not match paths outside every prefix', () => {
    expect(table.match('/')).toBeUndefined()
    expect(table.match('/health/ready')).toBeUndefined()
  })
})
