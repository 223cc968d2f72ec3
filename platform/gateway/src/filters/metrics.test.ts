import { describe, expect, it } from 'vitest'
import { DEFAULT_METRICS_READERS, metricsReaders } from './metrics.js'

describe('metricsReaders', () => {
  it('allows loopback by default and nobody else', () => {
    const readers = metricsReaders(DEFAULT_METRICS_READERS)
    expect(readers.check('127.0.0.1', 'ipv4')).toBe(true)
    expect(readers.check('127.8.9.10', 'ipv4')).toBe(true)
    expect(readers.check('::1', 'ipv6')).toBe(true)
    expect(readers.check('10.0.0.7', 'ipv4')).toBe(false)
    expect(readers.check('2001:db8::1', 'ipv6')).toBe(false)
  })

  it('takes CIDRs and single addresses', () => {
    const readers = metricsReaders(['10.0.0.0/8', ' 192.168.1.20 ', 'fd00::/8'])
    expect(readers.check('10.200.3.4', 'ipv4')).toBe(true)
    expect(readers.check('192.168.1.20', 'ipv4')).toBe(true)
    expect(readers.check('192.168.1.21', 'ipv4')).toBe(false)
    expect(readers.check('fd12::5', 'ipv6')).toBe(true)
  })

  it.each(['localhost', '10.0.0.0/33', '::1/129', '10.0.0.0/x', ''])(
    'refuses %j, naming the setting',
    (entry) => {
      expect(() => metricsReaders([entry])).toThrow(/TRELLIS_GATEWAY_METRICS_ALLOW/)
    },
  )
})
