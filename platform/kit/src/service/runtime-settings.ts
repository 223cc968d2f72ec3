import { Type } from '@sinclair/typebox'
import { defineSettings, setting } from '../config/settings.js'
import { LogLevel } from '../log/logger.js'

/**
 * What every instance reads from its environment; the control loop (or a
 * Deployment) sets them. Those marked `apply: 'env'` say where the instance
 * runs and how it finds the rest of the system, so only the environment sets
 * them; the others may also come from the config server, under `kit.<key>`.
 */
export const RuntimeSettings = defineSettings({
  env: setting(
    Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')]),
    'development',
    'Where the instance runs; production refuses test-only switches.',
    { env: 'TRELLIS_ENV', apply: 'env' },
  ),
  instanceId: setting(
    Type.String({ pattern: '^[A-Za-z0-9._-]{0,100}$' }),
    '',
    'Instance id; random when empty.',
    { apply: 'env' },
  ),
  host: setting(Type.String({ minLength: 1 }), '127.0.0.1', 'Address to listen on.', { apply: 'env' }),
  port: setting(
    Type.Integer({ minimum: 0, maximum: 65535 }),
    0,
    'Port to listen on; 0 takes any free port.',
    { apply: 'env' },
  ),
  advertiseHost: setting(
    Type.String(),
    '',
    'Host other processes use to reach this instance; the listen host when empty.',
    { apply: 'env' },
  ),
  registryUrl: setting(
    Type.String(),
    '',
    'Registry base URL; empty runs without registering (tests, one-off runs).',
    { apply: 'env' },
  ),
  databaseUrl: setting(Type.String(), '', "The service's own database URL.", { secret: true, apply: 'env' }),
  configUrl: setting(
    Type.String(),
    '',
    'Config server base URL; empty runs on the environment alone (tests, one-off runs).',
    { apply: 'env' },
  ),
  configToken: setting(
    Type.String(),
    '',
    "The service's token for the config server: reads its secrets, publishes its settings' schema.",
    { secret: true, apply: 'env' },
  ),
  configProfile: setting(
    Type.String({ pattern: '^([a-z][a-z0-9-]{0,30})?$' }),
    '',
    'Configuration profile; when empty, derived from TRELLIS_ENV (development → local, test → test, production → prod).',
    { apply: 'env' },
  ),
  configCacheDir: setting(
    Type.String(),
    '',
    'Folder for the last good configuration, used when the config server is unreachable at start; none when empty.',
    { apply: 'env' },
  ),
  // The local system starts the config server together with every service:
  // long enough for it to come up, short enough that an outage delays a start
  // by a few seconds only (the instance then starts from its last good configuration).
  configWaitMs: setting(
    Type.Integer({ minimum: 0, maximum: 120_000 }),
    3_000,
    'How long an instance waits for the config server at start.',
    { apply: 'env' },
  ),
  dbPoolMax: setting(
    Type.Integer({ minimum: 1, maximum: 100 }),
    5,
    'Database connections this instance may hold.',
    { apply: 'restart' },
  ),
  seed: setting(
    Type.Boolean(),
    false,
    'Apply seed data (S<n>__*.sql) after migrations; the local system turns it on.',
    { apply: 'env' },
  ),
  logLevel: setting(LogLevel, 'info', 'Lowest level written to the log.'),
  bodyLimitBytes: setting(Type.Integer({ minimum: 1024 }), 1_048_576, 'Largest request body accepted.', {
    apply: 'restart',
  }),
  // In-flight requests get this long to finish on shutdown; the control loop waits a little longer before SIGKILL.
  drainTimeoutMs: setting(
    Type.Integer({ minimum: 0 }),
    10_000,
    'Bound on draining in-flight requests at shutdown.',
  ),
  // Long enough for watchers (gateway, clients) to drop this instance before it stops accepting.
  deregisterDelayMs: setting(
    Type.Integer({ minimum: 0 }),
    200,
    'Pause between deregistering and closing the listener.',
  ),
  startupTimeoutMs: setting(
    Type.Integer({ minimum: 1000 }),
    60_000,
    'How long to wait for the database at start.',
    { apply: 'env' },
  ),
})
