import type { Tracer } from '@opentelemetry/api'
import type { Registry } from 'prom-client'
import type { DependencyPolicy } from '../client/call-policy.js'
import type { CallRequest, DependencyClient } from '../client/dependency-client.js'
import type { LiveConfig } from '../config/live-settings.js'
import type { SettingSpecs, SettingsDefinition, SettingsOf } from '../config/settings.js'
import type { Database, Queryable } from '../db/database.js'
import type { Logger } from '../log/logger.js'
import type { Envelope, EventDraft } from '../messaging/envelope.js'
import type { MessagingHandle } from '../messaging/messaging-feature.js'
import { compilePattern } from '../messaging/pattern.js'
import type { Subscriptions } from '../messaging/subscriptions.js'
import type { SagaDefinition } from '../sagas/saga-definition.js'
import type { SagaHandle } from '../sagas/saga-feature.js'
import type { SagaCommands } from '../sagas/saga-participant.js'
import type { AnyRoute } from './define-route.js'

/** What a service's code is given once the kit has set the instance up. */
export interface ServiceContext<S extends SettingSpecs = SettingSpecs> {
  name: string
  instanceId: string
  version: string
  log: Logger
  /**
   * The service's settings: defaults, then the environment, then the config
   * server. Changes through the config server land in this same object, so
   * read a setting where it is used rather than copying it at start (or
   * declare it `apply: 'restart'`).
   */
  settings: SettingsOf<S>
  /** The configuration version the instance runs, where it came from, and a change callback. */
  config: LiveConfig<S>
  /** Aborted when the instance begins to stop: long-running handlers (watches, streams) end so that draining never waits on them. */
  stopping: AbortSignal
  /** The service's own database; present when the definition declares one. */
  db: Database
  /** The instance's Prometheus registry, served on GET /metrics; add the service's own series to it. */
  metrics: Registry
  /** The instance's OpenTelemetry tracer for spans of the service's own (saga steps, batch jobs); undefined when tracing is off. */
  tracer: Tracer | undefined
  /** Calls a dependency (listed in `dependsOn`) with its policies: deadline, retries, breaker, bulkhead, balancing. */
  call<T = unknown>(dependency: string, request: CallRequest<T>): Promise<T>
  /** The client of one dependency (listed in `dependsOn`), with `get`, `post`, … helpers. */
  client(dependency: string): DependencyClient
  /**
   * Writes an event to the outbox in `tx`, the transaction of the write it
   * announces: it is published if and only if that transaction commits.
   */
  publish<D>(tx: Queryable, event: EventDraft<D>): Promise<Envelope<D>>
  /** Messaging numbers of this instance (outbox backlog, handled, dead letters). */
  messaging: MessagingHandle
  /** Starts, cancels and reads the sagas the service declares (`sagas`). See docs/sagas.md. */
  sagas: SagaHandle
}

export interface ServiceDefinition<S extends SettingSpecs = SettingSpecs> {
  name: string
  version?: string
  description?: string
  /** Typed settings, read from the environment at start and manageable through the config server. */
  settings?: SettingsDefinition<S>
  /** Services this one calls; each gets a client (`ctx.client(name)`, `ctx.call(name, …)`). */
  dependsOn?: string[]
  /**
   * Call policies per dependency over the kit's defaults (timeouts, retries,
   * breaker, bulkhead, balancer, ejection), and per route of the dependency;
   * `TRELLIS_CALL_<DEPENDENCY>_<KEY>` overrides them. See docs/resilience.md.
   */
  calls?: Record<string, DependencyPolicy>
  /** The service's own database: its migrations (`V<n>__*.sql`) and local seed data (`S<n>__*.sql`). */
  database?: { migrations: URL | string; seeds?: URL | string }
  routes: (context: ServiceContext<S>) => AnyRoute[]
  /**
   * Events this service consumes: event type or pattern (`catalog.product.*`,
   * `catalog.>`) → handler. Each handler runs in a transaction with an inbox
   * record, so a redelivered event has no second effect. The replicas of a
   * service compete for its events; every service gets every event it subscribes to.
   */
  subscribes?: Subscriptions | ((context: ServiceContext<S>) => Subscriptions)
  /**
   * Sagas this service orchestrates: steps sent as commands to participants
   * over messaging, their state in this service's database. See docs/sagas.md.
   */
  // biome-ignore lint/suspicious/noExplicitAny: sagas of different data types sit in one list
  sagas?: SagaDefinition<any>[] | ((context: ServiceContext<S>) => SagaDefinition<any>[])
  /** Saga commands this service performs (as a participant): name → handler. */
  commands?: SagaCommands | ((context: ServiceContext<S>) => SagaCommands)
  /** Runs after migrations, before the instance listens. */
  onStart?: (context: ServiceContext<S>) => Promise<void> | void
  /** Runs after the instance stopped serving, before its pools close. */
  onStop?: (context: ServiceContext<S>) => Promise<void> | void
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/

/** Declares a service: its name, settings, database, routes and hooks in one object. */
export function defineService<S extends SettingSpecs = SettingSpecs>(
  definition: ServiceDefinition<S>,
): ServiceDefinition<S> {
  if (!NAME.test(definition.name)) {
    throw new Error(
      `service name ${JSON.stringify(definition.name)} must be lower-case letters, digits and dashes`,
    )
  }
  // A bad pattern fails here, when the service module loads, not at its first event.
  if (definition.subscribes && typeof definition.subscribes === 'object')
    for (const pattern of Object.keys(definition.subscribes)) compilePattern(pattern)
  return definition
}
