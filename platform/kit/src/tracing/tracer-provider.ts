import { context, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'

export interface TracingOptions {
  service: string
  instance: string
  version?: string
  /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces` as JSON. */
  endpoint: string
  /** Share of new traces recorded (0..1); a request that arrives sampled is always recorded. */
  sampleRatio?: number
  /** Instead of the OTLP exporter (tests). */
  exporter?: SpanExporter
}

export interface Tracing {
  tracer: Tracer
  /** Sends what is buffered now. */
  flush(): Promise<void>
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>
}

const DEFAULTS = {
  // Spans wait at most this long before export: a trace shows up in the console within a second or so.
  scheduledDelayMillis: 500,
  maxExportBatchSize: 512,
  // Beyond this many buffered spans (collector down, say) new ones are dropped, never memory.
  maxQueueSize: 8_192,
  exportTimeoutMillis: 5_000,
}

let contextManagerReady = false

/** Context follows async work (promises, timers) through AsyncLocalStorage; one manager per process. */
export function enableContextPropagation(): void {
  if (contextManagerReady) return
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  contextManagerReady = true
}

/**
 * One tracer provider per service instance, not registered globally: the
 * kit hands its tracer to the pieces that make spans (HTTP hooks, client,
 * database, messaging), so several services in one test process each keep
 * their own name. Spans are batched and exported over OTLP/HTTP JSON, to the
 * local console's collector by default or to any OpenTelemetry Collector.
 */
export function createTracing(options: TracingOptions): Tracing {
  enableContextPropagation()
  const ratio = options.sampleRatio ?? 1
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({
      url: `${options.endpoint.replace(/\/$/, '')}/v1/traces`,
      timeoutMillis: DEFAULTS.exportTimeoutMillis,
    })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.service,
      'service.instance.id': options.instance,
      'service.version': options.version ?? '0.0.0',
    }),
    sampler: new ParentBasedSampler({
      root: ratio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio),
    }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: DEFAULTS.scheduledDelayMillis,
        maxExportBatchSize: DEFAULTS.maxExportBatchSize,
        maxQueueSize: DEFAULTS.maxQueueSize,
        exportTimeoutMillis: DEFAULTS.exportTimeoutMillis,
      }),
    ],
  })
  return {
    tracer: provider.getTracer('@trellis/kit'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  }
}
