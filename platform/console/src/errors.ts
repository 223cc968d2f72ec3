import { defineError } from '@trellis/kit/platform'

export const ConsoleErrors = {
  traceNotFound: defineError(
    'TRELLIS_CONSOLE_TRACE_NOT_FOUND',
    404,
    'no trace %s (traces are kept in memory, newest first)',
  ),
  notJson: defineError(
    'TRELLIS_CONSOLE_OTLP_NOT_JSON',
    415,
    'the collector takes OTLP/HTTP JSON (application/json), not %s',
  ),
  noControl: defineError(
    'TRELLIS_CONSOLE_NO_CONTROL',
    503,
    'no control loop to ask (TRELLIS_CONTROL_URL is not set)',
    { retryable: true },
  ),
  noInstance: defineError('TRELLIS_CONSOLE_NO_INSTANCE', 404, 'no running instance of %s'),
  upstream: defineError('TRELLIS_CONSOLE_UPSTREAM_FAILED', 502, '%s answered %s: %s'),
} as const
