import type { Layer, LayerName, Scope } from './layers.js'
import { sameScope } from './layers.js'

/** One property as stored: its place, value and the version that set it. */
export interface Property extends Scope {
  key: string
  value: unknown
  secret: boolean
  version: number
}

export interface Effective {
  /** The newest version among the changes of every layer (removals included); 0 when none. */
  version: number
  values: Record<string, unknown>
  /** The layer each value comes from. */
  sources: Record<string, LayerName>
  secrets: string[]
}

/** Merges the properties of an instance's layers, the higher layer winning key by key. */
export function mergeLayers(layers: Layer[], properties: Property[], version: number): Effective {
  const values: Record<string, unknown> = {}
  const sources: Record<string, LayerName> = {}
  const secret = new Set<string>()
  for (const layer of layers) {
    for (const property of properties) {
      if (!sameScope(property, layer.scope)) continue
      values[property.key] = property.value
      sources[property.key] = layer.name
      if (property.secret) secret.add(property.key)
      else secret.delete(property.key)
    }
  }
  const keys = Object.keys(values).sort()
  return {
    version,
    values: Object.fromEntries(keys.map((k) => [k, values[k]])),
    sources: Object.fromEntries(keys.map((k) => [k, sources[k]!])),
    secrets: keys.filter((k) => secret.has(k)),
  }
}

export const REDACTED = '[redacted]'

/** The values with every secret replaced, unless `reveal`. */
export function redactValues(effective: Effective, reveal: boolean): Record<string, unknown> {
  if (reveal) return effective.values
  const secrets = new Set(effective.secrets)
  return Object.fromEntries(
    Object.entries(effective.values).map(([k, v]) => [k, secrets.has(k) ? REDACTED : v]),
  )
}

export interface DiffEntry {
  key: string
  before?: unknown
  after?: unknown
  beforeSource?: LayerName
  afterSource?: LayerName
  secret: boolean
}

/** What differs between two effective configurations, key by key (secrets redacted). */
export function diffEffective(before: Effective, after: Effective): DiffEntry[] {
  const keys = [...new Set([...Object.keys(before.values), ...Object.keys(after.values)])].sort()
  const secrets = new Set([...before.secrets, ...after.secrets])
  const out: DiffEntry[] = []
  for (const key of keys) {
    const had = Object.hasOwn(before.values, key)
    const has = Object.hasOwn(after.values, key)
    if (had && has && JSON.stringify(before.values[key]) === JSON.stringify(after.values[key])) continue
    const secret = secrets.has(key)
    const show = (v: unknown) => (secret ? REDACTED : v)
    out.push({
      key,
      ...(had ? { before: show(before.values[key]), beforeSource: before.sources[key] } : {}),
      ...(has ? { after: show(after.values[key]), afterSource: after.sources[key] } : {}),
      secret,
    })
  }
  return out
}
