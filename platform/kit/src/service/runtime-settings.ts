import { Type } from '@sinclair/typebox'
import { ConfigLinkSettings } from '../config/config-link.js'
import { defineSettings, setting } from '../config/settings.js'
import { LogLevel } from '../log/logger.js'

/**
 * What every instance reads from its environment; the control loop (or a
 * Deployment) sets them. Those marked `apply: 'env'` say where the instance
 * runs and how it finds the rest of the system, so only the environment sets
 * them; the others may also come from the config server, under `kit.<key>`.
 */
export const RuntimeSettings = defineSettings({
  ...ConfigLinkSettings.specs,
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
