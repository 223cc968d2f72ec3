import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import {
  type SettingApply,
  type SettingSpecs,
  type SettingsDefinition,
  type SettingsOf,
  settingProblem,
} from './settings.js'

/**
 * The settings of one process as layers: declared defaults, then the
 * environment (both read at start, kept as the baseline), then the config
 * server's values on top. Each group (the service's own settings, the kit's,
 * a feature's) keeps one values object that the code reads; a change is
 * written into that same object, so code that reads a setting when it uses
 * it sees the new value at once. A value that does not fit the local schema
 * is refused here too and the previous one kept: a bad change never breaks
 * an instance, even one whose schema differs from what the server checked.
 */
export interface SettingsGroup {
  /** '' for the service's own settings (keys as declared), otherwise the prefix of its keys (`kit` → `kit.logLevel`). */
  namespace: string
  definition: SettingsDefinition
  /** The live values, as read from the environment at start; changed in place. */
  values: Record<string, unknown>
}

/** Where the values an instance runs with came from. */
export type ConfigSource = 'environment' | 'config-server' | 'last-good'

/** What an instance publishes about one setting, so the config server can check values before storing them. */
export interface PublishedSetting {
  /** JSON Schema of the value. */
  schema: Record<string, unknown>
  /** The declared default; absent for secrets. */
  default?: unknown
  doc: string
  secret: boolean
  apply: Exclude<SettingApply, 'env'>
}

export interface SettingsChange<S extends SettingSpecs = SettingSpecs> {
  /** The configuration version now applied. */
  version: number | null
  /** The keys whose value changed, as declared (without namespace). */
  keys: Array<keyof S & string>
  /** The live settings object, already holding the new values. */
  settings: SettingsOf<S>
}

/** A group's view for the code that reads it: version, source and change notifications. */
export interface LiveConfig<S extends SettingSpecs = SettingSpecs> {
  /** The configuration version the instance runs; null without a config server. */
  readonly version: number | null
  readonly source: ConfigSource
  /** Calls `listener` after settings of this group changed through the config server; returns a remover. */
  onChange(listener: (change: SettingsChange<S>) => void | Promise<void>): () => void
}

export interface RejectedValue {
  key: string
  reason: string
}

export interface ApplyResult {
  /** Keys whose live value changed. */
  changed: string[]
  /** Values that did not fit the local schema; the previous value stays. */
  rejected: RejectedValue[]
  /** `apply: 'restart'` keys whose central value differs from what the instance started with. */
  pendingRestart: string[]
  /** Central keys this instance does not declare (another version of the service may). */
  unknown: string[]
}

interface GroupState {
  namespace: string
  definition: SettingsDefinition
  values: Record<string, unknown>
  /** Defaults and environment: what a key falls back to when the config server drops it. */
  baseline: Record<string, unknown>
  /** What `restart` keys held when the instance started. */
  started: Record<string, unknown>
  listeners: Set<(change: SettingsChange) => void | Promise<void>>
}

type Listener = (change: SettingsChange) => void | Promise<void>

export class LiveSettings {
  private readonly groups = new Map<string, GroupState>()
  private currentVersion: number | null = null
  private currentSource: ConfigSource = 'environment'
  private lastRejected: RejectedValue[] = []
  private lastPending: string[] = []

  constructor(
    groups: SettingsGroup[],
    private readonly onListenerError: (error: unknown, namespace: string) => void = () => undefined,
  ) {
    for (const group of groups) {
      if (this.groups.has(group.namespace))
        throw new Error(`settings namespace ${group.namespace} used twice`)
      if (group.namespace && !/^[a-z][a-z0-9-]{0,30}$/.test(group.namespace))
        throw new Error(
          `settings namespace ${JSON.stringify(group.namespace)} must be lower-case letters, digits and dashes`,
        )
      this.groups.set(group.namespace, {
        ...group,
        baseline: structuredClone(group.values),
        started: structuredClone(group.values),
        listeners: new Set(),
      })
    }
  }

  get version(): number | null {
    return this.currentVersion
  }

  get source(): ConfigSource {
    return this.currentSource
  }

  get rejected(): RejectedValue[] {
    return this.lastRejected
  }

  get pendingRestart(): string[] {
    return this.lastPending
  }

  /** Every centrally manageable setting, by central key (`kit.logLevel`, `defaultPageSize`). */
  describe(): Record<string, PublishedSetting> {
    const out: Record<string, PublishedSetting> = {}
    for (const group of this.groups.values()) {
      for (const [key, spec] of Object.entries(group.definition.specs)) {
        if (spec.apply === 'env') continue
        out[centralKey(group.namespace, key)] = {
          schema: JSON.parse(JSON.stringify(spec.schema)) as Record<string, unknown>,
          ...(spec.secret ? {} : { default: spec.default }),
          doc: spec.doc,
          secret: spec.secret === true,
          apply: spec.apply ?? 'live',
        }
      }
    }
    return out
  }

  /** True when `key` is a secret setting (its value is never logged). */
  isSecret(key: string): boolean {
    const found = this.find(key)
    return found?.spec.secret === true
  }

  /**
   * Applies the config server's values (central key → value) over the
   * baseline. At boot, `restart` settings are applied too; afterwards they
   * are only reported as pending. Listeners of changed groups are called.
   */
  apply(
    central: Record<string, unknown>,
    meta: { version: number | null; source: ConfigSource; boot?: boolean },
  ): ApplyResult {
    const result: ApplyResult = { changed: [], rejected: [], pendingRestart: [], unknown: [] }
    const changedByGroup = new Map<GroupState, string[]>()
    for (const key of Object.keys(central)) if (!this.find(key)) result.unknown.push(key)
    for (const group of this.groups.values()) {
      for (const [key, spec] of Object.entries(group.definition.specs)) {
        if (spec.apply === 'env') continue
        const name = centralKey(group.namespace, key)
        const candidate = Object.hasOwn(central, name) ? central[name] : group.baseline[key]
        const problem = settingProblem(spec.schema as TSchema, candidate)
        if (problem !== undefined) {
          result.rejected.push({ key: name, reason: problem })
          continue
        }
        const restart = spec.apply === 'restart'
        if (restart && !meta.boot) {
          if (!Value.Equal(group.started[key], candidate)) result.pendingRestart.push(name)
          continue
        }
        if (Value.Equal(group.values[key], candidate)) continue
        group.values[key] = structuredClone(candidate)
        if (restart) group.started[key] = structuredClone(candidate)
        result.changed.push(name)
        if (!meta.boot) changedByGroup.set(group, [...(changedByGroup.get(group) ?? []), key])
      }
    }
    this.currentVersion = meta.version
    this.currentSource = meta.source
    this.lastRejected = result.rejected
    this.lastPending = result.pendingRestart
    for (const [group, keys] of changedByGroup) this.notify(group, keys)
    return result
  }

  /** The view of one group: version, source, change notifications. */
  view<S extends SettingSpecs = SettingSpecs>(namespace: string): LiveConfig<S> {
    const group = this.groups.get(namespace)
    if (!group) throw new Error(`no settings namespace ${JSON.stringify(namespace)}`)
    const live = this
    return {
      get version() {
        return live.currentVersion
      },
      get source() {
        return live.currentSource
      },
      onChange(listener) {
        const wrapped = listener as Listener
        group.listeners.add(wrapped)
        return () => group.listeners.delete(wrapped)
      },
    }
  }

  /** Central values with secrets replaced, for logs. */
  redact(central: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(central).map(([key, value]) => [key, this.isSecret(key) ? '[redacted]' : value]),
    )
  }

  private find(name: string) {
    for (const group of this.groups.values()) {
      const prefix = group.namespace ? `${group.namespace}.` : ''
      if (prefix && !name.startsWith(prefix)) continue
      const key = name.slice(prefix.length)
      if (!prefix && key.includes('.')) continue
      const spec = group.definition.specs[key]
      if (spec && spec.apply !== 'env') return { group, key, spec }
    }
    return undefined
  }

  private notify(group: GroupState, keys: string[]): void {
    const change: SettingsChange = {
      version: this.currentVersion,
      keys,
      settings: group.values as SettingsOf<SettingSpecs>,
    }
    for (const listener of group.listeners) {
      try {
        void Promise.resolve(listener(change)).catch((error) => this.onListenerError(error, group.namespace))
      } catch (error) {
        this.onListenerError(error, group.namespace)
      }
    }
  }
}

export function centralKey(namespace: string, key: string): string {
  return namespace ? `${namespace}.${key}` : key
}
