import type { Database, Logger, SettingsOf } from '@trellis/kit'
import { ConfigErrors } from '@trellis/kit/platform'
import { type Authorizer, TokenAuthorizer } from './auth/tokens.js'
import { SecretBox } from './crypto/secret-box.js'
import { type Effective, mergeLayers } from './domain/effective.js'
import { layersOf } from './domain/layers.js'
import { ChangeValidator } from './domain/validator.js'
import { ConfigServerErrors } from './errors.js'
import type { ConfigServerSettings } from './settings.js'
import { ConfigStore } from './store/config-store.js'
import { ChangeFeed } from './watch/change-feed.js'
import { InstanceTracker } from './watch/instance-tracker.js'

type Settings = SettingsOf<typeof ConfigServerSettings.specs>

/** What the routes share: the store, the change feed, the validator and who may do what. */
export class ConfigState {
  readonly store: ConfigStore
  readonly feed: ChangeFeed
  readonly tracker = new InstanceTracker()
  readonly validator: ChangeValidator
  readonly authorizer: Authorizer

  constructor(
    readonly db: Database,
    readonly settings: Settings,
    readonly log: Logger,
    readonly stopping: AbortSignal,
  ) {
    if (!settings.encryptionKey)
      throw ConfigErrors.invalid(
        'TRELLIS_CONFIG_ENCRYPTION_KEY is not set; the config server needs a 32-byte key (base64) to keep secrets encrypted at rest',
      )
    if (!settings.adminToken)
      throw ConfigErrors.invalid(
        'TRELLIS_CONFIG_ADMIN_TOKEN is not set; the config server needs an administrator token',
      )
    this.store = new ConfigStore(db, new SecretBox(settings.encryptionKey))
    this.feed = new ChangeFeed(() => this.store.latest())
    this.validator = new ChangeValidator(settings.profiles)
    this.authorizer = new TokenAuthorizer(settings.adminToken)
    stopping.addEventListener('abort', () => this.feed.close(), { once: true })
  }

  checkProfile(profile: string): void {
    if (!this.settings.profiles.includes(profile))
      throw ConfigServerErrors.profileUnknown(profile, this.settings.profiles.join(', '))
  }

  /** An instance's effective configuration, now or as of a version. */
  async effective(application: string, profile: string, instance: string, asOf?: number): Promise<Effective> {
    const layers = layersOf(application, profile, instance)
    const scopes = layers.map((l) => l.scope)
    // The properties as of the version read, not read beside it: two statements on two connections
    // could see different commits, and an answer labelled with a newer version than its properties
    // would leave the caller waiting for changes it never got.
    const version = await this.store.versionOf(scopes, asOf)
    const properties = await this.store.properties(scopes, version)
    return mergeLayers(layers, properties, version)
  }

  async versionOf(application: string, profile: string, instance: string): Promise<number> {
    return this.store.versionOf(layersOf(application, profile, instance).map((l) => l.scope))
  }

  /** Refuses a version that does not exist yet. */
  async checkVersion(...versions: Array<number | undefined>): Promise<number> {
    const latest = await this.store.latest()
    for (const v of versions)
      if (v !== undefined && v > latest) throw ConfigServerErrors.versionUnknown(v, latest)
    return latest
  }

  /** Stops the start when the key cannot open what is stored. */
  async checkKey(): Promise<void> {
    try {
      await this.store.checkKey()
    } catch (error) {
      throw ConfigServerErrors.keyMismatch((error as Error).message)
    }
  }
}

const states = new WeakMap<object, ConfigState>()

/** One state per running instance (tests run several in one process). */
export function stateOf(context: {
  db: Database
  settings: Settings
  log: Logger
  stopping: AbortSignal
}): ConfigState {
  let state = states.get(context)
  if (!state) {
    state = new ConfigState(context.db, context.settings, context.log, context.stopping)
    states.set(context, state)
  }
  return state
}
