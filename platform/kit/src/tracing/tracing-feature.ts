import { loadSettings } from '../config/settings.js'
import { QUIET_PATHS } from '../http/create-app.js'
import type { KitFeature } from '../service/feature.js'
import { installServerSpans } from './server-spans.js'
import { createTracing } from './tracer-provider.js'
import { DEFAULT_OTLP_ENDPOINT, TracingSettings } from './tracing-settings.js'

/**
 * OpenTelemetry tracing: a tracer for this instance (`ctx.tracer`), a server
 * span per request, and the tracer handed to the database, the call client
 * and messaging, which add their own spans. Off (TRELLIS_TRACING_ENABLED=false)
 * it installs nothing, and every piece skips its span work.
 */
export const tracingFeature: KitFeature = {
  name: 'tracing',
  setup({ env, definition, context, app, db, log }) {
    const settings = loadSettings(TracingSettings, env)
    if (!settings.enabled) return undefined
    const endpoint = settings.endpoint || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || DEFAULT_OTLP_ENDPOINT
    const tracing = createTracing({
      service: definition.name,
      instance: context.instanceId,
      version: context.version,
      endpoint,
      sampleRatio: settings.sampleRatio,
    })
    context.tracer = tracing.tracer
    db?.traceWith(tracing.tracer)
    installServerSpans(app, tracing.tracer, QUIET_PATHS)
    log.debug({ endpoint, sampleRatio: settings.sampleRatio }, 'tracing on')
    return {
      // Stopped after the features set up later (messaging, calls): the spans of the last messages go out.
      stop: () => tracing.shutdown().catch(() => undefined),
    }
  },
}
