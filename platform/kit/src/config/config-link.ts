import { Type } from '@sinclair/typebox'
import type { Logger } from '../log/logger.js'
import { CentralConfig, profileFor } from './central-config.js'
import type { LiveSettings } from './live-settings.js'
import { ConfigErrors, defineSettings, type SettingsOf, setting } from './settings.js'

/**
 * How a process finds the config server: part of every service's runtime
 * settings, and what a platform process that is not a kit service (the
 * gateway) reads to get the same live settings. Environment only.
 */
export const ConfigLinkSettings = defineSettings({
  env: setting(
    Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')]),
    'development',
    'Where the instance runs; production refuses test-only switches.',
    { env: 'TRELLIS_ENV', apply: 'env' },
  ),
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
})

/**
 * The link to the config server for one process, or undefined when
 * `TRELLIS_CONFIG_URL` is not set (the process runs on its environment alone).
 * Call `boot()` before anything reads a setting, `start()` once serving.
 */
export function centralConfigFrom(
  link: SettingsOf<typeof ConfigLinkSettings.specs>,
  scope: { application: string; instance: string; version: string },
  live: LiveSettings,
  log: Logger,
): CentralConfig | undefined {
  if (!link.configUrl) return undefined
  if (!link.configToken)
    throw ConfigErrors.invalid(
      'TRELLIS_CONFIG_URL is set but TRELLIS_CONFIG_TOKEN is not; the config server needs the service token to serve its configuration',
    )
  return new CentralConfig({
    url: link.configUrl,
    token: link.configToken,
    ...scope,
    profile: link.configProfile || profileFor(link.env),
    cacheDir: link.configCacheDir,
    bootWaitMs: link.configWaitMs,
    settings: live,
    log,
  })
}
