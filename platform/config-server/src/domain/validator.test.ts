import { describe, expect, it } from 'vitest'
import { ChangeValidator, type PublishedSettings } from './validator.js'

const published = new Map<string, PublishedSettings>([
  [
    'shop',
    {
      application: 'shop',
      appVersion: '1',
      publishedAt: '',
      settings: {
        pageSize: {
          schema: { type: 'integer', minimum: 1, maximum: 100 },
          default: 20,
          doc: '',
          secret: false,
          apply: 'live',
        },
        tags: {
          schema: { type: 'array', items: { type: 'string' } },
          default: [],
          doc: '',
          secret: false,
          apply: 'live',
        },
        enabled: { schema: { type: 'boolean' }, default: false, doc: '', secret: false, apply: 'live' },
        apiKey: { schema: { type: 'string', minLength: 4 }, doc: '', secret: true, apply: 'live' },
      },
    },
  ],
])
const validator = new ChangeValidator(['default', 'local', 'prod'])

describe('change validation', () => {
  it('converts text by schema and marks secrets', () => {
    const { changes, problems } = validator.check(
      [
        { application: 'shop', key: 'pageSize', value: '12' },
        { application: 'shop', key: 'tags', value: 'a, b' },
        { application: 'shop', key: 'enabled', value: 'yes' },
        { application: 'shop', profile: 'prod', key: 'apiKey', value: 'sk-12345' },
      ],
      published,
    )
    expect(problems).toEqual([])
    expect(changes.map((c) => [c.key, c.value, c.secret])).toEqual([
      ['pageSize', 12, false],
      ['tags', ['a', 'b'], false],
      ['enabled', true, false],
      ['apiKey', 'sk-12345', true],
    ])
  })

  it('gives a reason for each refusal, never the secret value', () => {
    const { problems } = validator.check(
      [
        { application: 'shop', key: 'apiKey', value: 'sk' },
        { application: 'shop', key: 'pageSize' },
        { application: 'shop', key: 'bad key', value: 1 },
        { application: '*', instance: 'x-1', key: 'pageSize', value: 1 },
      ],
      published,
    )
    expect(problems.map((p) => p.reason)).toEqual([
      'must NOT have fewer than 4 characters',
      'a value is required (or remove: true)',
      'not a valid key (a setting name, or <namespace>.<name>)',
      'an instance override needs an application',
    ])
    expect(JSON.stringify(problems)).not.toContain('"sk"')
  })

  it('lets a key nobody declares any more be removed', () => {
    const { changes, problems } = validator.check(
      [{ application: 'shop', key: 'retired', remove: true }],
      published,
    )
    expect(problems).toEqual([])
    expect(changes).toEqual([
      { application: 'shop', profile: 'default', instance: '', key: 'retired', remove: true, secret: false },
    ])
  })
})
