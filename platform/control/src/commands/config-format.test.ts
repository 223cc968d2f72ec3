import { describe, expect, it } from 'vitest'
import { formatDiff, formatEffective, formatHistory } from './config-format.js'

describe('trellis config output', () => {
  it('lists every declared setting with its value and where it comes from', () => {
    const text = formatEffective(
      {
        application: 'catalog',
        profile: 'local',
        version: 4,
        values: { defaultPageSize: 5, apiKey: '[redacted]' },
        sources: { defaultPageSize: 'application', apiKey: 'application-profile' },
      },
      {
        settings: {
          defaultPageSize: { default: 20, secret: false, apply: 'live', doc: '' },
          maxPageSize: { default: 100, secret: false, apply: 'live', doc: '' },
          apiKey: { secret: true, apply: 'restart', doc: '' },
        },
      },
    )
    expect(text.split('\n')).toEqual([
      'catalog · profile local · version 4',
      '',
      'KEY              VALUE       SOURCE                            APPLIES',
      'apiKey           [redacted]  application-profile               restart',
      'defaultPageSize  5           application                       live',
      'maxPageSize      100         not set (environment or default)  live',
    ])
  })

  it('prints history and diffs a line per change', () => {
    expect(
      formatHistory([
        {
          version: 3,
          author: 'ana',
          message: 'roll back',
          createdAt: '2026-01-02T03:04:05.678Z',
          rollbackTo: 1,
          changes: [{ application: '*', profile: 'prod', key: 'kit.logLevel', removed: true }],
        },
      ]),
    ).toBe(
      'v3  2026-01-02 03:04:05  ana  roll back  (rollback to v1)\n      global (prod) kit.logLevel removed',
    )
    expect(
      formatDiff({
        application: 'catalog',
        profile: 'local',
        from: 1,
        to: 3,
        changes: [
          { key: 'a', after: 1, afterSource: 'application' },
          { key: 'b', before: 'x', beforeSource: 'global' },
          { key: 'c', before: 1, after: 2, beforeSource: 'global', afterSource: 'instance' },
        ],
      }),
    ).toBe(
      'catalog · profile local · version 1 → 3\n+ a: 1 (application)\n- b: x (was global)\n~ c: 1 → 2 (instance)',
    )
  })
})
