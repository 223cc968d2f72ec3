// The public API of @trellis/kit: what a service imports. Anything not
// exported here is internal and may change without notice.

export { type Static, type TSchema, Type } from '@sinclair/typebox'
export { Counter, Gauge, Histogram, type Registry } from 'prom-client'
export { AuthErrors } from './auth/auth-errors.js'
export {
  type AuthDecision,
  type AuthPolicy,
  DEFAULT_AUTH,
  decide,
  type Identity,
  ROLES,
  type Role,
} from './auth/identity.js'
export { inScope, type OwnerKind, ownerScope } from './auth/ownership.js'
export { CallErrors } from './client/call-errors.js'
export { type CallPolicy, callPolicy, type DependencyPolicy, type RoutePolicy } from './client/call-policy.js'
export { clientFor } from './client/client-for.js'
export { ClientMetrics } from './client/client-metrics.js'
export { DEADLINE_HEADER, Deadline } from './client/deadline.js'
export {
  type CallMethod,
  type CallParent,
  type CallRequest,
  DependencyClient,
} from './client/dependency-client.js'
export { type InstanceSource, staticSource } from './client/instance-source.js'
export type { ConfigSource, LiveConfig, SettingsChange } from './config/live-settings.js'
export {
  defineSettings,
  type SettingApply,
  type SettingSpec,
  type SettingSpecs,
  type SettingsDefinition,
  type SettingsOf,
  setting,
} from './config/settings.js'
export { Database, type Queryable } from './db/database.js'
export { IDEMPOTENCY_HEADER, idempotent, REPLAYED_HEADER } from './db/idempotency.js'
export {
  defineError,
  type ErrorDefinition,
  type ErrorOptions,
  errorCatalogue,
  isTrellisError,
  TrellisError,
} from './errors/define-error.js'
export { KitErrors } from './errors/kit-errors.js'
export { type Fault, FaultErrors } from './faults/fault.js'
export { REQUEST_ID_HEADER } from './http/create-app.js'
export { replyIdempotently } from './http/idempotent-reply.js'
export {
  PROBLEM_CONTENT_TYPE,
  type Problem,
  type ProblemFieldError,
  problemType,
  toProblem,
} from './http/problem.js'
export type { Logger } from './log/logger.js'
export { type Envelope, type EventDraft, parseEnvelope } from './messaging/envelope.js'
export { MessagingErrors } from './messaging/messaging-errors.js'
export type { MessagingHandle } from './messaging/messaging-feature.js'
export type { MessagingStats } from './messaging/messaging-stats.js'
export type { EventContext, EventHandler, Subscriptions } from './messaging/subscriptions.js'
export {
  commandType,
  defineSaga,
  replyType,
  type SagaCommand,
  type SagaDefinition,
  type SagaFailure,
  type SagaHookContext,
  type SagaInstance,
  type SagaReply,
  type SagaStatus,
  type SagaStep,
} from './sagas/saga-definition.js'
export type { SagaHistoryRecord } from './sagas/saga-engine.js'
export { SagaErrors } from './sagas/saga-errors.js'
export type { SagaHandle } from './sagas/saga-feature.js'
export {
  type CommandContext,
  type CommandHandler,
  type SagaCommands,
  SagaRefusal,
} from './sagas/saga-participant.js'
export {
  type AnyRoute,
  defineRoute,
  type HttpMethod,
  type RouteDefinition,
  type RouteRequest,
  type RouteSchemas,
} from './service/define-route.js'
export { defineService, type ServiceContext, type ServiceDefinition } from './service/define-service.js'
export { EXIT_CONFIG, main, type RunningService, type RunOptions, runService } from './service/run-service.js'
