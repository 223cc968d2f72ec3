import { describe, expect, it } from 'vitest'
import { LeaseTable } from './lease-table.js'

const registration = (id: string, port = 4000) => ({
  service: 'catalog',
  id,
  host: '127.0.0.1',
  port,
  version: '1.0.0',
  metadata: {},
})

function table() {
  let now = 1_000_000
  const t = new LeaseTable({ ttlMs: 3_000, heartbeatIntervalMs: 1_000, now: () => now })
  return { t, advance: (ms: number) => (now += ms) }
}

describe('LeaseTable', () => {
  it('lists a registered instance with its URL and moves the index', () => {
    const { t } = table()
    const before = t.index
    const { created, instance } = t.register(registration('catalog-1'))
    expect(created).toBe(true)
    expect(instance.url).toBe('http://127.0.0.1:4000')
    expect(t.instances('catalog').map((i) => i.id)).toEqual(['catalog-1'])
    expect(t.index).toBe(before + 1)
  })

  it('expires an instance whose lease ran out, and only that one', () => {
    const { t, advance } = table()
    t.register(registration('catalog-1', 4001))
    t.register(registration('catalog-2', 4002))
    advance(2_000)
    expect(t.heartbeat('catalog', 'catalog-2')).toBe(true)
    advance(1_000)
    const expired = t.expire()
    expect(expired.map((i) => i.id)).toEqual(['catalog-1'])
    expect(t.instances('catalog').map((i) => i.id)).toEqual(['catalog-2'])
  })

  it('keeps an instance alive while it heartbeats within the lease', () => {
    const { t, advance } = table()
    t.register(registration('catalog-1'))
    for (let i = 0; i < 10; i++) {
      advance(2_900)
      expect(t.heartbeat('catalog', 'catalog-1')).toBe(true)
      expect(t.expire()).toEqual([])
    }
  })

  it('answers unknown to a heartbeat from an instance it does not know', () => {
    const { t } = table()
    expect(t.heartbeat('catalog', 'ghost')).toBe(false)
  })

  it('does not move the index when an identical registration renews the lease', () => {
    const { t } = table()
    t.register(registration('catalog-1'))
    const index = t.index
    expect(t.register(registration('catalog-1')).created).toBe(false)
    expect(t.index).toBe(index)
  })

  it('moves the index when an instance comes back on another port', () => {
    const { t } = table()
    t.register(registration('catalog-1', 4000))
    const index = t.index
    t.register(registration('catalog-1', 4010))
    expect(t.index).toBe(index + 1)
    expect(t.instances('catalog')[0]!.port).toBe(4010)
  })

  it('removes a deregistered instance and drops an empty service', () => {
    const { t } = table()
    t.register(registration('catalog-1'))
    expect(t.deregister('catalog', 'catalog-1')).toBe(true)
    expect(t.deregister('catalog', 'catalog-1')).toBe(false)
    expect(t.snapshot().services).toEqual({})
  })

  it('tells listeners about every change, and a bare touch', () => {
    const { t, advance } = table()
    const seen: string[] = []
    t.onChange((change) => seen.push(change ? `${change.kind}:${change.instance.id}` : 'touch'))
    t.register(registration('catalog-1'))
    t.touch()
    advance(5_000)
    t.expire()
    expect(seen).toEqual(['registered:catalog-1', 'touch', 'expired:catalog-1'])
  })
})
