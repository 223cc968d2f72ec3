import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff.js'
import { createEnvelope, parseEnvelope } from './envelope.js'
import { compilePattern } from './pattern.js'

describe('envelope', () => {
  it('fills in id (UUIDv7), source, time and version, and round-trips through JSON', () => {
    const e = createEnvelope('catalog', { type: 'catalog.product.created', key: 'p1', data: { a: 1 } })
    expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/)
    expect(e).toMatchObject({ source: 'catalog', key: 'p1', version: 1, data: { a: 1 } })
    expect(parseEnvelope(JSON.stringify(e))).toEqual(e)
  })

  it('refuses a type that is not <source>.<entity>.<event> in lower case, an empty key, or no data', () => {
    for (const type of [
      'product.created',
      'Catalog.product.created',
      'catalog..created',
      'catalog.product.*',
    ])
      expect(() => createEnvelope('catalog', { type, key: 'k', data: {} }), type).toThrow(
        /TRELLIS|cannot publish/,
      )
    expect(() => createEnvelope('catalog', { type: 'a.b.c', key: '', data: {} })).toThrow(/key/)
    expect(() => createEnvelope('catalog', { type: 'a.b.c', key: 'k', data: undefined })).toThrow(/no data/)
  })

  it('reads envelopes tolerantly (unknown fields are kept, not refused) and rejects what is not one', () => {
    const e = createEnvelope('catalog', { type: 'a.b.c', key: 'k', data: null })
    expect(parseEnvelope(JSON.stringify({ ...e, addedLater: true }))).toMatchObject({ addedLater: true })
    expect(() => parseEnvelope('not json')).toThrow(/not JSON/)
    expect(() => parseEnvelope(JSON.stringify({ ...e, id: 'x' }))).toThrow(/\/id/)
    expect(() => parseEnvelope(JSON.stringify({ type: 'a.b.c' }))).toThrow(/not an event/)
  })
})

describe('event patterns', () => {
  it('matches exact types, one segment for *, one or more for a final >', () => {
    const star = compilePattern('catalog.product.*')
    expect(star.matches('catalog.product.created')).toBe(true)
    expect(star.matches('catalog.product.price-changed')).toBe(true)
    expect(star.matches('catalog.product.created.v2')).toBe(false)
    const rest = compilePattern('catalog.>')
    expect(rest.matches('catalog.product.created')).toBe(true)
    expect(rest.matches('catalogue.product.created')).toBe(false)
    expect(compilePattern('catalog.product.created').matches('catalog.product.updated')).toBe(false)
    expect(rest.amqp).toBe('catalog.#')
  })

  it('refuses patterns the transports cannot express', () => {
    for (const bad of ['catalog', 'catalog.>.created', 'Catalog.*', 'catalog.pro*'])
      expect(() => compilePattern(bad), bad).toThrow(/invalid/)
  })
})

describe('backoff', () => {
  it('doubles from the base up to the cap, within ±20 %', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 100, 300, () => 0.5))).toEqual([100, 200, 300, 300])
    expect(backoffDelay(1, 100, 5_000, () => 0)).toBe(80)
    expect(backoffDelay(1, 100, 5_000, () => 1)).toBe(120)
  })
})

describe('topology messaging block', async () => {
  const { parseTopology } = await import('../topology/topology.js')
  const base = 'name: t\nservices:\n  a: { path: a }\n'
  it('defaults to the postgres transport and needs a url for the brokers', () => {
    expect(parseTopology(base, 't.yaml').messaging).toEqual({ transport: 'postgres', url: undefined })
    expect(() => parseTopology(`${base}messaging: { transport: nats }\n`, 't.yaml')).toThrow(
      /needs messaging.url/,
    )
    expect(
      parseTopology(`${base}messaging: { transport: nats, url: "nats://127.0.0.1:4222" }\n`, 't.yaml')
        .messaging,
    ).toEqual({ transport: 'nats', url: 'nats://127.0.0.1:4222' })
    expect(() => parseTopology(`${base}messaging: { transport: kafka }\n`, 't.yaml')).toThrow(/invalid/)
    expect(() => parseTopology('name: t\nservices:\n  trellis-broker: { path: a }\n', 't.yaml')).toThrow(
      /reserved/,
    )
  })
})
