import { describe, expect, it } from 'vitest'
import type { Property } from './effective.js'
import { planRollback } from './rollback.js'

const p = (key: string, value: unknown, profile = 'default', instance = ''): Property => ({
  application: 'shop',
  profile,
  instance,
  key,
  value,
  secret: false,
  version: 1,
})

describe('rollback planning', () => {
  it('sets back what changed, removes what was added, leaves the rest', () => {
    const then = [p('pageSize', 5), p('level', 'info', 'prod'), p('same', 1)]
    const now = [p('pageSize', 7), p('same', 1), p('added', true, 'default', 'shop-1')]
    expect(planRollback(then, now)).toEqual([
      { application: 'shop', profile: 'default', key: 'pageSize', value: 5 },
      { application: 'shop', profile: 'default', instance: 'shop-1', key: 'added', remove: true },
      { application: 'shop', profile: 'prod', key: 'level', value: 'info' },
    ])
    expect(planRollback(now, now)).toEqual([])
  })
})
