import type { FastifyInstance } from 'fastify'
import type { LiveSettings } from '../config/live-settings.js'
import type { SettingSpecs, SettingsDefinition, SettingsOf } from '../config/settings.js'
import type { Database } from '../db/database.js'
import type { Readiness } from '../health/readiness.js'
import type { Logger } from '../log/logger.js'
import type { AnyRoute } from './define-route.js'
import type { ServiceContext, ServiceDefinition } from './define-service.js'
import type { RuntimeSettings } from './runtime-settings.js'

/**
 * A piece of the kit that every service gets (idempotency-key purging,
 * central configuration, and later the call client, messaging, telemetry),
 * in the shape of a Fastify plugin: it is set up in a fixed order while the
 * instance starts, may add routes, readiness checks, context members, health
 * details and registry metadata, and is stopped in reverse order after HTTP
 * has drained and before the database closes. A feature that is off returns
 * nothing and costs nothing.
 */
export interface KitFeature<Prepared = unknown> {
  name: string
  /**
   * The feature's own settings, read from `TRELLIS_<FEATURE>_<KEY>` at start
   * (bad values stop the start) and manageable through the config server as
   * `<feature>.<key>`; `setup` gets the live values.
   */
  settings?: SettingsDefinition
  /**
   * Runs right after the environment's settings are read, before the
   * database opens or any setting is used (central configuration loads here,
   * so that even start-only settings come from it). What it returns is
   * handed to `setup` as `prepared`.
   */
  prepare?(input: FeaturePrepare): Promise<Prepared> | Prepared
  setup(input: FeatureSetup<Prepared>): Promise<FeatureHandle | undefined> | FeatureHandle | undefined
}

export interface FeaturePrepare {
  definition: ServiceDefinition<SettingSpecs>
  instanceId: string
  version: string
  runtime: SettingsOf<typeof RuntimeSettings.specs>
  env: Record<string, string | undefined>
  log: Logger
  /** Every setting of the instance (service, kit, features), as layers the config server can change. */
  live: LiveSettings
}

export interface FeatureSetup<Prepared = unknown> {
  definition: ServiceDefinition<SettingSpecs>
  /** Features may add members (declared on ServiceContext) before the service's routes are built. */
  context: ServiceContext
  app: FastifyInstance
  readiness: Readiness
  runtime: SettingsOf<typeof RuntimeSettings.specs>
  env: Record<string, string | undefined>
  log: Logger
  db: Database | undefined
  live: LiveSettings
  /** The live values of the feature's own `settings` (empty when it declares none); changes land in this object. */
  ownSettings: Record<string, unknown>
  /** What `prepare` returned. */
  prepared: Prepared
  /** Registers a route on the instance and in the route list sent to the registry. */
  addRoute(route: AnyRoute): void
  /** Registers the instance again, so that changed `metadata()` reaches the registry and its watchers. */
  refreshRegistration(): void
}

export interface FeatureHandle {
  /** Once the instance listens, before it registers. */
  afterListen?(address: { url: string; host: string; port: number }): Promise<void> | void
  /** Members merged into the instance's registry metadata, read at every (re-)registration. */
  metadata?(): Record<string, unknown>
  /** Members merged into the instance's `/health` document. */
  health?(): Record<string, unknown>
  /** After HTTP has drained, before the database closes. */
  stop?(): Promise<void> | void
}
