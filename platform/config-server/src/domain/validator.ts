import type { PublishedSetting } from '@trellis/kit/platform'
import { parseSettingValue } from '@trellis/kit/platform'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { BASE_PROFILE, GLOBAL, type Scope } from './layers.js'

/** The settings an application published, as stored. */
export interface PublishedSettings {
  application: string
  appVersion: string
  settings: Record<string, PublishedSetting>
  publishedAt: string
}

export interface ChangeRequest {
  application: string
  profile?: string
  instance?: string
  key: string
  value?: unknown
  /** Remove the property from this scope (the layers below show through again). */
  remove?: boolean
}

export interface CheckedChange extends Scope {
  key: string
  value?: unknown
  remove: boolean
  secret: boolean
}

export interface ChangeProblem {
  application: string
  profile: string
  instance?: string
  key: string
  reason: string
}

const KEY = /^([a-z][a-z0-9-]{0,30}\.)?[A-Za-z][A-Za-z0-9]{0,63}$/
const INSTANCE = /^[A-Za-z0-9._-]{1,100}$/

/**
 * Checks changes against what each application published about its
 * settings, before anything is stored: the profile exists, the key is
 * declared, the value fits its schema (a value given as text is converted by
 * the schema first, as an environment variable would be). A global change
 * must fit every application that declares the key. Every problem is
 * reported at once, each with its reason.
 */
export class ChangeValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true })
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(private readonly profiles: string[]) {}

  check(
    requests: ChangeRequest[],
    published: Map<string, PublishedSettings>,
  ): { changes: CheckedChange[]; problems: ChangeProblem[] } {
    const changes: CheckedChange[] = []
    const problems: ChangeProblem[] = []
    const seen = new Set<string>()
    for (const request of requests) {
      const scope: Scope = {
        application: request.application,
        profile: request.profile ?? BASE_PROFILE,
        instance: request.instance ?? '',
      }
      const fail = (reason: string) =>
        problems.push({
          application: scope.application,
          profile: scope.profile,
          ...(scope.instance ? { instance: scope.instance } : {}),
          key: request.key,
          reason,
        })
      const place = `${scope.application}/${scope.profile}/${scope.instance}/${request.key}`
      if (seen.has(place)) {
        fail('the same key is changed twice in one request')
        continue
      }
      seen.add(place)
      if (!this.profiles.includes(scope.profile)) {
        fail(`unknown profile ${scope.profile}; known: ${this.profiles.join(', ')}`)
        continue
      }
      if (scope.instance) {
        const problem =
          scope.application === GLOBAL
            ? 'an instance override needs an application'
            : !INSTANCE.test(scope.instance)
              ? 'not a valid instance id'
              : scope.profile !== BASE_PROFILE
                ? 'an instance override applies whatever the profile the instance runs; leave the profile out'
                : undefined
        if (problem) {
          fail(problem)
          continue
        }
      }
      if (!KEY.test(request.key)) {
        fail('not a valid key (a setting name, or <namespace>.<name>)')
        continue
      }
      const declaring = this.declaring(scope.application, request.key, published)
      if (typeof declaring === 'string') {
        // A key nobody declares any more may still be removed.
        if (request.remove) changes.push({ ...scope, key: request.key, remove: true, secret: false })
        else fail(declaring)
        continue
      }
      const secret = declaring.some(([, s]) => s.secret)
      if (request.remove) {
        changes.push({ ...scope, key: request.key, remove: true, secret })
        continue
      }
      if (request.value === undefined) {
        fail('a value is required (or remove: true)')
        continue
      }
      let reason: string | undefined
      let value: unknown = request.value
      for (const [application, setting] of declaring) {
        const converted = convert(request.value, setting.schema)
        if (!converted.ok) {
          reason = converted.reason
          break
        }
        const problem = this.problem(setting.schema, converted.value)
        if (problem) {
          reason = declaring.length > 1 ? `${application}: ${problem}` : problem
          break
        }
        value = converted.value
      }
      if (reason) fail(reason)
      else changes.push({ ...scope, key: request.key, value, remove: false, secret })
    }
    return { changes, problems }
  }

  /** Why `value` does not fit `schema`, or undefined when it fits. */
  problem(schema: unknown, value: unknown): string | undefined {
    const text = JSON.stringify(schema)
    let validate = this.compiled.get(text)
    if (!validate) {
      validate = this.ajv.compile(schema as object)
      this.compiled.set(text, validate)
    }
    return validate(value) ? undefined : describe(validate.errors ?? [], schema)
  }

  /** The applications that declare `key` (with their setting), or why none does. */
  private declaring(
    application: string,
    key: string,
    published: Map<string, PublishedSettings>,
  ): Array<[string, PublishedSetting]> | string {
    if (application === GLOBAL) {
      const found = [...published.values()]
        .filter((p) => Object.hasOwn(p.settings, key))
        .map((p): [string, PublishedSetting] => [p.application, p.settings[key]!])
      return found.length ? found : `no application declares ${key}`
    }
    const settings = published.get(application)
    if (!settings)
      return `application ${application} has not published its settings; start one of its instances first`
    const setting = settings.settings[key]
    if (!setting) {
      const known = Object.keys(settings.settings).sort()
      return `${application} declares no setting ${key}; it declares ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}`
    }
    return [[application, setting]]
  }
}

function convert(
  value: unknown,
  schema: unknown,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  const type = (schema as { type?: unknown }).type
  if (typeof value !== 'string' || type === 'string' || type === undefined) return { ok: true, value }
  return parseSettingValue(value, schema as never)
}

function describe(errors: ErrorObject[], schema: unknown): string {
  const choices = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf
  if (choices?.every((c) => c.const !== undefined) && errors.some((e) => e.instancePath === ''))
    return `must be one of ${choices.map((c) => JSON.stringify(c.const)).join(', ')}`
  const first = errors.find((e) => e.keyword !== 'anyOf') ?? errors[0]
  if (!first) return 'does not fit the schema'
  return `${first.instancePath ? `at ${first.instancePath} ` : ''}${first.message ?? 'is invalid'}`
}
