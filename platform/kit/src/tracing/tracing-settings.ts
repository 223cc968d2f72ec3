import { Type } from '@sinclair/typebox'
import { defineSettings, setting } from '../config/settings.js'

/** Where the local console's collector listens unless told otherwise (trellis.yaml platform.console). */
export const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:8081'

export const TracingSettings = defineSettings({
  enabled: setting(Type.Boolean(), true, 'Record spans and export them over OTLP.', {
    env: 'TRELLIS_TRACING_ENABLED',
    apply: 'restart',
  }),
  endpoint: setting(
    Type.String(),
    '',
    `OTLP/HTTP base URL (spans go to <url>/v1/traces); OTEL_EXPORTER_OTLP_ENDPOINT, then ${DEFAULT_OTLP_ENDPOINT}, when empty.`,
    { env: 'TRELLIS_TRACING_ENDPOINT', apply: 'restart' },
  ),
  sampleRatio: setting(
    Type.Number({ minimum: 0, maximum: 1 }),
    1,
    'Share of new traces recorded; requests that arrive sampled are always recorded.',
    { env: 'TRELLIS_TRACING_SAMPLE_RATIO', apply: 'restart' },
  ),
})
