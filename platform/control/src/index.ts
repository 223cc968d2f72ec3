export type { SystemStatus } from './api/control-api.js'
export { formatLine, LogPrinter } from './log/log-printer.js'
export { freePort, portInUse } from './ports.js'
export { type Credentials, loadCredentials, saveCredentials } from './postgres/credentials.js'
export { EmbeddedPostgres, POSTGRES_MAJOR, PostgresError } from './postgres/embedded-postgres.js'
export { databaseName, provisionDatabases, roleName } from './postgres/provision.js'
export type { InstanceSpec, InstanceStatus, Phase } from './reconcile/instance-spec.js'
export {
  afterExit,
  backoffMs,
  DEFAULT_POLICY,
  plan,
  type RestartPolicy,
  type Step,
} from './reconcile/plan.js'
export { probe, probeEndpoint } from './reconcile/prober.js'
export { type RunningSystem, type SystemOptions, startSystem } from './system.js'
