// What the platform's own processes (registry, gateway, control loop) share
// with the kit. Services import `@trellis/kit`, not this.

export {
  AssertionSigner,
  AssertionVerifier,
  type EdgeKeys,
  generateEdgeKeys,
  IDENTITY_HEADER,
  RESERVED_HEADER_PREFIX,
  reasonOf,
} from './auth/assertion.js'
export { AuthErrors } from './auth/auth-errors.js'
export { ExpiringCache } from './auth/expiring-cache.js'
export {
  type AuthPolicy,
  DEFAULT_AUTH,
  decide,
  describePolicy,
  type Identity,
  parsePolicy,
  ROLES,
  type Role,
} from './auth/identity.js'
export { type Balancer, LeastOutstandingBalancer, RoundRobinBalancer } from './client/balancer.js'
export { CallAbort } from './client/call-abort.js'
export { CallErrors } from './client/call-errors.js'
export { callPolicy } from './client/call-policy.js'
export { breakerStateName, createBreaker } from './client/circuit-breaker.js'
export { ClientMetrics } from './client/client-metrics.js'
export { DEADLINE_HEADER, Deadline } from './client/deadline.js'
export { DependencyClient } from './client/dependency-client.js'
export { Endpoint } from './client/endpoint.js'
export { EndpointSet } from './client/endpoint-set.js'
export { AttemptFailure, connectionFailure } from './client/failure.js'
export { directorySource, type InstanceSource, staticSource } from './client/instance-source.js'
export { OutlierDetector } from './client/outlier-detector.js'
export { RetryBudget } from './client/retry-budget.js'
export {
  CentralConfig,
  type CentralConfigOptions,
  type ConfigStatus,
  profileFor,
} from './config/central-config.js'
export { ConfigClient, ConfigClientErrors, type EffectiveConfig } from './config/config-client.js'
export { ConfigLinkSettings, centralConfigFrom } from './config/config-link.js'
export {
  type ApplyResult,
  type ConfigSource,
  centralKey,
  LiveSettings,
  type PublishedSetting,
  type SettingsGroup,
} from './config/live-settings.js'
export {
  ConfigErrors,
  defineSettings,
  envName,
  loadSettings,
  parseSettingValue,
  type SettingApply,
  type SettingsDefinition,
  type SettingsOf,
  setting,
  settingProblem,
} from './config/settings.js'
export { Database, waitForDatabase } from './db/database.js'
export {
  checksum,
  loadMigrations,
  type Migration,
  MigrationErrors,
  migrate,
  planMigrations,
} from './db/migrations.js'
export { defineError, errorCatalogue, isTrellisError, TrellisError } from './errors/define-error.js'
export { KitErrors } from './errors/kit-errors.js'
export { registerHealthRoutes } from './health/health-routes.js'
export { cached, Readiness } from './health/readiness.js'
export { createHttpApp, REQUEST_ID_HEADER, requestIdFrom } from './http/create-app.js'
export { closeGracefully, drainServer, trackInFlight } from './http/graceful-close.js'
export {
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemFromError,
  toProblem,
  toTrellisError,
} from './http/problem.js'
export { createLogger, type Logger, LogLevel } from './log/logger.js'
export { createEnvelope, type Envelope } from './messaging/envelope.js'
export { EventConsumer, type EventConsumerOptions } from './messaging/event-consumer.js'
export { GroupCommit } from './messaging/group-commit.js'
export { MessagingErrors } from './messaging/messaging-errors.js'
export { MessagingSettings } from './messaging/messaging-settings.js'
export { MESSAGING_MIGRATIONS, MESSAGING_NAMESPACE } from './messaging/messaging-tables.js'
export { outboxStats, writeAllToOutbox, writeToOutbox } from './messaging/outbox.js'
export { OutboxRelay } from './messaging/outbox-relay.js'
export { compileSubscriptions } from './messaging/subscriptions.js'
export type {
  Delivery,
  Subscription,
  SubscriptionSpec,
  Transport,
  TransportKind,
} from './messaging/transport.js'
export { createTransport, type TransportOptions } from './messaging/transports/create-transport.js'
export type { FastHistogram } from './metrics/fast-histogram.js'
export { instanceMetrics, requestDurations, timeRequests } from './metrics/metrics-feature.js'
export type {
  CatalogSnapshot,
  InstanceMetadata,
  InstanceRecord,
  Lease,
  Registration,
  RouteInfo,
} from './registry/instance.js'
export { RegistrationKeeper } from './registry/registration.js'
export { RegistryClient, RegistryErrors } from './registry/registry-client.js'
export { ServiceDirectory } from './registry/service-directory.js'
export type { FeatureHandle, FeatureSetup, KitFeature } from './service/feature.js'
export { describeListenError, installShutdownHandlers } from './service/process-signals.js'
export { EXIT_CONFIG } from './service/run-service.js'
export { RuntimeSettings } from './service/runtime-settings.js'
export {
  DEFAULT_PORTS,
  loadTopology,
  type MessagingTransport,
  parseTopology,
  RESERVED_SERVICE_NAMES,
  type ServiceSpec,
  type Topology,
  TopologyErrors,
} from './topology/topology.js'
export { REQUEST_ID_ATTRIBUTE } from './tracing/server-spans.js'
export {
  activeTraceFields,
  contextFromTraceparent,
  currentTraceparent,
  formatTraceparent,
  parseTraceparent,
  TRACEPARENT_HEADER,
  TRACERESPONSE_HEADER,
  traceFields,
  traceparentOf,
} from './tracing/trace-context.js'
export { createTracing, enableContextPropagation, type Tracing } from './tracing/tracer-provider.js'
export { DEFAULT_OTLP_ENDPOINT, TracingSettings } from './tracing/tracing-settings.js'
