// The public API of @trellis/kit: what a service imports. Anything not
// exported here is internal and may change without notice.

export { type Static, type TSchema, Type } from '@sinclair/typebox'
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
export {
  defineSettings,
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
