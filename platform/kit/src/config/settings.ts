import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { defineError } from '../errors/define-error.js'

/**
 * Every setting has a schema, a default and an environment variable. A bad
 * value stops the process at start with the key, the variable and the reason;
 * it never surfaces later as a strange runtime failure.
 */
export interface SettingSpec<T extends TSchema = TSchema> {
  schema: T
  default: Static<T>
  doc: string
  /** Environment variable; `TRELLIS_<SCOPE>_<KEY>` when absent. */
  env?: string
  /** Never printed in listings or logs. */
  secret?: boolean
  /**
   * When a value changed through the config server takes effect: `live` (the
   * default) at once, in the same settings object the code reads; `restart`
   * at the instance's next start; `env` never: the setting is read from the
   * environment only (where to listen, how to find the config server itself).
   */
  apply?: SettingApply
}

export type SettingApply = 'live' | 'restart' | 'env'

export interface SettingOptions {
  env?: string
  secret?: boolean
  apply?: SettingApply
}

export type SettingSpecs = Record<string, SettingSpec>
export type SettingsOf<S extends SettingSpecs> = { -readonly [K in keyof S]: Static<S[K]['schema']> }

export interface SettingsDefinition<S extends SettingSpecs = SettingSpecs> {
  readonly specs: S
}

export function setting<T extends TSchema>(
  schema: T,
  defaultValue: Static<T>,
  doc: string,
  options: SettingOptions = {},
): SettingSpec<T> {
  return { schema, default: defaultValue, doc, ...options }
}

export function defineSettings<S extends SettingSpecs>(specs: S): SettingsDefinition<S> {
  for (const [key, spec] of Object.entries(specs)) {
    if (!Value.Check(spec.schema, spec.default)) {
      throw new Error(
        `setting ${key}: its default ${JSON.stringify(spec.default)} does not fit its own schema`,
      )
    }
  }
  return { specs }
}

export const ConfigErrors = {
  invalid: defineError('TRELLIS_CONFIG_INVALID', 500, 'invalid configuration: %s'),
} as const

export interface SettingProblem {
  key: string
  env: string
  value: string
  reason: string
}

/** The environment variable a setting is read from. */
export function envName(scope: string | undefined, key: string, spec: SettingSpec): string {
  if (spec.env) return spec.env
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
  return scope ? `TRELLIS_${scope.toUpperCase().replace(/-/g, '_')}_${snake}` : `TRELLIS_${snake}`
}

/**
 * Reads settings from an environment, converting strings by schema
 * (numbers, booleans, JSON for objects and arrays, comma lists for arrays of
 * strings). Collects every problem before failing, so one start shows them all.
 */
export function loadSettings<S extends SettingSpecs>(
  definition: SettingsDefinition<S>,
  env: Record<string, string | undefined>,
  scope?: string,
): SettingsOf<S> {
  const values: Record<string, unknown> = {}
  const problems: SettingProblem[] = []
  for (const [key, spec] of Object.entries(definition.specs)) {
    const variable = envName(scope, key, spec)
    const raw = env[variable]
    if (raw === undefined || raw === '') {
      values[key] = structuredClone(spec.default)
      continue
    }
    const parsed = parseSettingValue(raw, spec.schema)
    if (parsed.ok && Value.Check(spec.schema, parsed.value)) {
      values[key] = parsed.value
      continue
    }
    const reason = parsed.ok ? firstError(spec.schema, parsed.value) : parsed.reason
    problems.push({ key, env: variable, value: spec.secret ? '[redacted]' : raw, reason })
  }
  if (problems.length > 0) {
    const text = problems.map((p) => `${p.key} (${p.env}=${JSON.stringify(p.value)}): ${p.reason}`).join('; ')
    throw ConfigErrors.invalid(text).with({ problems })
  }
  return values as SettingsOf<S>
}

/** A listing of settings safe to print: secrets are redacted. */
export function describeSettings<S extends SettingSpecs>(
  definition: SettingsDefinition<S>,
  values: SettingsOf<S>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(definition.specs)) {
    out[key] = spec.secret ? '[redacted]' : values[key as keyof S]
  }
  return out
}

export type ParsedSetting = { ok: true; value: unknown } | { ok: false; reason: string }

/**
 * Converts a setting's text (an environment variable, a command-line
 * argument) to a value by its schema: numbers, booleans, JSON for objects and
 * arrays, comma lists for arrays. It does not check the schema's constraints.
 */
export function parseSettingValue(raw: string, schema: TSchema): ParsedSetting {
  const type = (schema as { type?: unknown }).type
  const trimmed = raw.trim()
  if (type === 'integer' || type === 'number') {
    const n = Number(trimmed)
    return Number.isFinite(n) && trimmed !== ''
      ? { ok: true, value: n }
      : { ok: false, reason: 'expected a number' }
  }
  if (type === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(trimmed)) return { ok: true, value: true }
    if (/^(false|0|no|off)$/i.test(trimmed)) return { ok: true, value: false }
    return { ok: false, reason: 'expected true or false' }
  }
  if (type === 'array' || type === 'object') {
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      try {
        return { ok: true, value: JSON.parse(trimmed) }
      } catch {
        return { ok: false, reason: 'expected JSON' }
      }
    }
    if (type === 'array')
      return {
        ok: true,
        value: trimmed
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }
    return { ok: false, reason: 'expected a JSON object' }
  }
  return { ok: true, value: raw }
}

/** Why a value does not fit a setting's schema, in one line (undefined when it fits). */
export function settingProblem(schema: TSchema, value: unknown): string | undefined {
  return Value.Check(schema, value) ? undefined : firstError(schema, value)
}

function firstError(schema: TSchema, value: unknown): string {
  const [error] = Value.Errors(schema, value)
  if (!error) return 'does not fit the schema'
  const where = error.path ? `at ${error.path} ` : ''
  return `${where}${error.message}`
}
