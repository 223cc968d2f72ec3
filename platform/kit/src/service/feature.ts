import type { FastifyInstance } from 'fastify'
import type { SettingSpecs, SettingsOf } from '../config/settings.js'
import type { Database } from '../db/database.js'
import type { Readiness } from '../health/readiness.js'
import type { Logger } from '../log/logger.js'
import type { AnyRoute } from './define-route.js'
import type { ServiceContext, ServiceDefinition } from './define-service.js'
import type { RuntimeSettings } from './runtime-settings.js'

/**
 * A piece of the kit that every service gets (idempotency-key purging, and
 * later the call client, messaging, configuration, telemetry), in the shape
 * of a Fastify plugin: it is set up in a fixed order while the instance
 * starts, may add routes, readiness checks, context members and registry
 * metadata, and is stopped in reverse order after HTTP has drained and
 * before the database closes. A feature that is off returns nothing and
 * costs nothing.
 */
export interface KitFeature {
  name: string
  setup(input: FeatureSetup): Promise<FeatureHandle | undefined> | FeatureHandle | undefined
}

export interface FeatureSetup {
  definition: ServiceDefinition<SettingSpecs>
  /** Features may add members (declared on ServiceContext) before the service's routes are built. */
  context: ServiceContext
  app: FastifyInstance
  readiness: Readiness
  runtime: SettingsOf<typeof RuntimeSettings.specs>
  env: Record<string, string | undefined>
  log: Logger
  db: Database | undefined
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
  /** After HTTP has drained, before the database closes. */
  stop?(): Promise<void> | void
}
