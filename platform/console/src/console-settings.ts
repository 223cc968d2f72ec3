import { Type } from '@sinclair/typebox'
import { defineSettings, LogLevel, setting } from '@trellis/kit/platform'

export const ConsoleSettings = defineSettings({
  host: setting(Type.String({ minLength: 1 }), '127.0.0.1', 'Address to listen on.', {
    env: 'TRELLIS_CONSOLE_HOST',
  }),
  port: setting(
    Type.Integer({ minimum: 0, maximum: 65535 }),
    8081,
    'Port of the console and its collector.',
    {
      env: 'TRELLIS_CONSOLE_PORT',
    },
  ),
  registryUrl: setting(Type.String(), '', 'Registry base URL: where instances are found.', {
    env: 'TRELLIS_REGISTRY_URL',
  }),
  controlUrl: setting(Type.String(), '', "The control loop's API: instance phases, restart and scale.", {
    env: 'TRELLIS_CONTROL_URL',
  }),
  scrapeIntervalMs: setting(
    Type.Integer({ minimum: 100 }),
    2_000,
    'How often every instance is scraped and alert rules run.',
    {
      env: 'TRELLIS_CONSOLE_SCRAPE_INTERVAL_MS',
    },
  ),
  maxSpans: setting(
    Type.Integer({ minimum: 1_000 }),
    100_000,
    'Spans kept in memory; the oldest traces go first.',
    {
      env: 'TRELLIS_CONSOLE_MAX_SPANS',
    },
  ),
  maxLogLines: setting(
    Type.Integer({ minimum: 1_000 }),
    50_000,
    'Log lines kept in memory; the oldest go first.',
    {
      env: 'TRELLIS_CONSOLE_MAX_LOG_LINES',
    },
  ),
  logLevel: setting(LogLevel, 'info', 'Lowest level written to the log.', { env: 'TRELLIS_LOG_LEVEL' }),
})
