import fc from 'fast-check'
import { HOSTILE_STRINGS } from './hostile.js'

/** The JSON Schema subset TypeBox emits and our routes use. */
export interface Schema {
  type?: string
  const?: unknown
  enum?: unknown[]
  anyOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
  minItems?: number
  maxItems?: number
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
}

/** Values that match the schema: the requests a well-behaved client sends. */
export function valid(schema: Schema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined)
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(valid))
  switch (schema.type) {
    case 'string': {
      const min = schema.minLength ?? 0
      const max = Math.min(schema.maxLength ?? 40, 40)
      if (schema.pattern)
        return fc
          .stringMatching(new RegExp(schema.pattern))
          .filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY))
      return fc.string({ minLength: min, maxLength: Math.max(min, max), unit: 'grapheme' })
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 })
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(valid(schema.items), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, Math.max(schema.minItems ?? 0, 4)),
      })
    case 'object': {
      if (!schema.properties)
        return fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 })
      const shape = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, valid(v)]))
      return fc.record(shape, { requiredKeys: schema.required ?? [] })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

const hostile = fc.constantFrom(...HOSTILE_STRINGS)

/** Values that (mostly) do not: wrong types, hostile strings in every field, extra fields, random JSON. */
export function invalid(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostile)
  if (schema?.type !== 'object' || !schema.properties) return anything
  const keys = Object.keys(schema.properties)
  if (keys.length === 0) return anything
  return fc.oneof(
    anything,
    // One field replaced by something hostile or of the wrong type.
    fc.tuple(valid(schema), fc.constantFrom(...keys), anything).map(([value, key, bad]) => ({
      ...(value as object),
      [key]: bad,
    })),
    // An undeclared field.
    fc
      .tuple(valid(schema), hostile)
      .map(([value, extra]) => ({ ...(value as object), [extra.slice(0, 30) || 'x']: 1 })),
  )
}

export { hostile }
