import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  type IBackoff,
  type IBackoffFactory,
  IsolatedCircuitError,
  TaskCancelledError,
} from 'cockatiel'
import { isTrellisError, TrellisError } from '../errors/define-error.js'
import { REQUEST_ID_HEADER } from '../http/create-app.js'
import type { Logger } from '../log/logger.js'
import { sleep } from '../messaging/backoff.js'
import type { HistogramSeries } from '../metrics/fast-histogram.js'
import { formatTraceparent, TRACEPARENT_HEADER } from '../tracing/trace-context.js'
import { CallAbort } from './call-abort.js'
import { CallErrors, UNAVAILABILITY } from './call-errors.js'
import type { CallPolicy, RoutePolicy } from './call-policy.js'
import { breakerStateName, createBreaker } from './circuit-breaker.js'
import type { BreakerStateName, ClientMetrics } from './client-metrics.js'
import { DEADLINE_HEADER, type Deadline } from './deadline.js'
import { dispatchText, type TextResponse } from './dispatch-text.js'
import type { Endpoint } from './endpoint.js'
import { EndpointSet } from './endpoint-set.js'
import { AttemptFailure, connectionFailure } from './failure.js'
import type { InstanceSource } from './instance-source.js'
import { RetryBudget } from './retry-budget.js'

export type CallMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The request a handler is serving, so a call inherits its deadline and correlation id. */
export interface CallParent {
  id: string
  deadline?: Deadline | undefined
  /** The request's span: the call's span is its child (otherwise the span active where the call is made). */
  span?: Span | undefined
}

export interface CallRequest<T = unknown> {
  method?: CallMethod
  /** The path, with `:name` placeholders filled from `params` (each value URL-encoded). The template names the route in policies and metrics. */
  path: string
  params?: Record<string, string | number>
  query?: Record<string, string | number | boolean | undefined>
  /** Sent as JSON. */
  body?: unknown
  headers?: Record<string, string>
  /** The inbound request this call serves: its remaining deadline bounds the call, its id is passed on. */
  parent?: CallParent
  /** Over the route's and dependency's timeout. */
  timeoutMs?: number
  /** Over the route's and dependency's retries; 0 turns retries off for this call. */
  retries?: number
  /** A POST or PATCH that may safely be repeated (it carries an Idempotency-Key, say). GET, HEAD, PUT and DELETE are. */
  idempotent?: boolean
  /**
   * Answers instead of the dependency when it gave no answer (timeout, open
   * circuit, full bulkhead, unreachable, 5xx). An answer that says no (a 4xx
   * problem) is not replaced: it is thrown as the callee's own error.
   */
  fallback?: (error: TrellisError) => T | Promise<T>
}

export interface DependencyClientOptions {
  log?: Logger
  metrics: ClientMetrics
  /** Per route, keyed `METHOD /template`. */
  routes?: Record<string, RoutePolicy>
  /** The name of the calling service, sent as `x-trellis-caller`. */
  caller?: string
  /** Makes a CLIENT span per call and sends its `traceparent`; no spans without one. */
  tracer?: Tracer | undefined
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

interface RouteState {
  key: string
  /** The path template, split once into literal text and parameter names. */
  template: Template
  /** The duration series of successful calls, looked up once. */
  ok: HistogramSeries
  timeoutMs: number
  retries: number
}

/** A call waiting for a place in the bulkhead: `start` gives it one. */
interface Waiting {
  start: () => void
}

/**
 * Calls one dependency: picks an instance (balancer, outlier ejection) and
 * applies, outermost first: the dependency's circuit breaker (cockatiel's),
 * retries with exponential backoff and decorrelated jitter (cockatiel's
 * backoff) under a retry budget, the dependency's bulkhead, then one
 * attempt on one instance. The call's deadline (one timer) aborts the
 * attempt in flight, or the wait in the bulkhead's queue, and stops
 * retries when it is spent. A fallback, if the caller gave one, answers for
 * a call that got no answer.
 *
 * The retry loop and the bulkhead are a few lines here rather than
 * cockatiel's policies, and cockatiel's timeout policy is not used: their
 * per-call promise wrappers, event emitters and derived AbortControllers
 * cost more CPU than the rest of the chain in bench:client, for a loop
 * and a counter.
 */
export class DependencyClient {
  readonly endpoints: EndpointSet
  private readonly breaker: CircuitBreakerPolicy | undefined
  private readonly backoff: IBackoffFactory<unknown>
  /** Calls in their attempt now, and calls waiting for a place (the bulkhead). */
  private active = 0
  private readonly waiting: Waiting[] = []
  private readonly budget: RetryBudget
  private readonly routes = new Map<string, RouteState>()
  private readonly log: Logger | undefined
  private readonly metrics: ClientMetrics

  constructor(
    readonly dependency: string,
    source: InstanceSource,
    readonly policy: CallPolicy,
    private readonly options: DependencyClientOptions,
  ) {
    this.log = options.log
    this.metrics = options.metrics
    this.endpoints = new EndpointSet(dependency, source, {
      connections: policy.connections,
      balancer: policy.balancer,
      outlier: {
        consecutiveFailures: policy.ejectAfterFailures,
        baseEjectionMs: policy.ejectBaseMs,
        maxEjectionMs: policy.ejectMaxMs,
      },
      metrics: options.metrics,
      ...(options.log ? { log: options.log } : {}),
    })
    this.breaker = createBreaker(
      dependency,
      { failures: policy.breakerFailures, halfOpenAfterMs: policy.breakerHalfOpenAfterMs },
      options.log,
      options.metrics,
    )
    this.backoff = new ExponentialBackoff({
      initialDelay: policy.retryBackoffMs,
      maxDelay: policy.retryMaxBackoffMs,
      generator: decorrelatedJitterGenerator,
    })
    this.budget = new RetryBudget({
      ratio: policy.retryBudgetRatio,
      minPerSecond: policy.retryBudgetPerSecond,
    })
  }

  get breakerState(): BreakerStateName {
    return breakerStateName(this.breaker)
  }

  get<T = unknown>(path: string, request: Omit<CallRequest<T>, 'path' | 'method'> = {}): Promise<T> {
    return this.run<T>(request, 'GET', path)
  }

  post<T = unknown>(path: string, request: Omit<CallRequest<T>, 'path' | 'method'> = {}): Promise<T> {
    return this.run<T>(request, 'POST', path)
  }

  put<T = unknown>(path: string, request: Omit<CallRequest<T>, 'path' | 'method'> = {}): Promise<T> {
    return this.run<T>(request, 'PUT', path)
  }

  patch<T = unknown>(path: string, request: Omit<CallRequest<T>, 'path' | 'method'> = {}): Promise<T> {
    return this.run<T>(request, 'PATCH', path)
  }

  delete<T = unknown>(path: string, request: Omit<CallRequest<T>, 'path' | 'method'> = {}): Promise<T> {
    return this.run<T>(request, 'DELETE', path)
  }

  /** One call: the parsed JSON answer of a 2xx (text when it is not JSON, undefined when empty). */
  call<T = unknown>(request: CallRequest<T>): Promise<T> {
    return this.run<T>(request, request.method ?? 'GET', request.path)
  }

  private async run<T>(request: Omit<CallRequest<T>, 'path'>, method: CallMethod, path: string): Promise<T> {
    const route = this.route(method, path)
    const timeoutMs = request.timeoutMs ?? route.timeoutMs
    const budgetMs = request.parent?.deadline ? request.parent.deadline.within(timeoutMs) : timeoutMs
    const started = performance.now()
    const span = this.options.tracer && this.startSpan(this.options.tracer, route.key, request.parent)
    const headers = span
      ? { ...request.headers, [TRACEPARENT_HEADER]: formatTraceparent(span.spanContext()) }
      : request.headers
    try {
      if (budgetMs <= 0) throw CallErrors.deadlineExceeded(this.dependency)
      const value = await this.execute<T>(request, headers, method, route, budgetMs)
      route.ok.observe((performance.now() - started) / 1000)
      span?.end()
      return value
    } catch (raw) {
      const error = this.toCallError(raw, method, path, budgetMs)
      if (span) {
        span.setAttribute('trellis.error.code', error.code)
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.code })
        span.end()
      }
      this.metrics.calls
        .labels(this.dependency, route.key, error.code)
        .observe((performance.now() - started) / 1000)
      if (request.fallback && UNAVAILABILITY.has(error.code)) {
        this.metrics.fallbacks.labels(this.dependency, route.key).inc()
        this.log?.debug({ dependency: this.dependency, route: route.key, code: error.code }, 'call fell back')
        return request.fallback(error)
      }
      throw error
    }
  }

  async close(): Promise<void> {
    await this.endpoints.close()
  }

  /** One span per call, retries included. */
  private startSpan(tracer: Tracer, routeKey: string, parent: CallParent | undefined): Span {
    const active = context.active()
    const parentContext = parent?.span ? trace.setSpan(active, parent.span) : active
    return tracer.startSpan(
      `${this.dependency} ${routeKey}`,
      { kind: SpanKind.CLIENT, attributes: { 'peer.service': this.dependency, 'trellis.route': routeKey } },
      parentContext,
    )
  }

  private async execute<T>(
    request: Omit<CallRequest<T>, 'path'>,
    headers: Record<string, string> | undefined,
    method: CallMethod,
    route: RouteState,
    budgetMs: number,
  ): Promise<T> {
    const call: Call = {
      method,
      path: buildPath(route.template, request, route.key),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      parentId: request.parent?.id,
      idempotent: request.idempotent ?? IDEMPOTENT.has(method),
      retries: request.retries ?? route.retries,
      deadlineAt: performance.now() + budgetMs,
      budgetMs,
      abort: new CallAbort(),
    }
    this.budget.deposit()
    // One timer per call: at the deadline it aborts the attempt in flight
    // (or a call waiting in the bulkhead's queue); cleared when the call ends.
    const timer = setTimeout(abortCall, budgetMs, call.abort)
    try {
      // The breaker sees whole calls, retries included: a failure that a retry
      // on another instance recovered is the outlier detector's business, not
      // a sign that the dependency is down.
      return await (this.breaker
        ? this.breaker.execute(() => this.withRetries<T>(call))
        : this.withRetries<T>(call))
    } finally {
      clearTimeout(timer)
    }
  }

  /** Attempts until one answers, the failure is not safe to repeat, or retries, budget or deadline run out. */
  private async withRetries<T>(call: Call): Promise<T> {
    let avoid: Endpoint | undefined
    let backoff: IBackoff<unknown> | undefined
    for (let n = 0; ; n++) {
      try {
        return await this.bulkheaded<T>(call, avoid)
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error
        avoid = (error as AttemptFailureAt).endpoint
        if (n >= call.retries || !error.retryable(call.idempotent)) throw error
        backoff = backoff ? backoff.next(undefined) : this.backoff.next(undefined)
        // No retry that could not finish before the deadline.
        if (call.deadlineAt - performance.now() - backoff.duration < 1) throw error
        if (!this.budget.tryWithdraw()) {
          this.metrics.retriesDenied.labels(this.dependency).inc()
          throw error
        }
        this.metrics.retries.labels(this.dependency).inc()
        await sleep(backoff.duration)
        if (call.abort.aborted) throw error
      }
    }
  }

  /** The bulkhead: at most `bulkheadLimit` attempts at once, `bulkheadQueue` more waiting, the rest refused at once. */
  private bulkheaded<T>(call: Call, avoid: Endpoint | undefined): Promise<T> {
    const limit = this.policy.bulkheadLimit
    if (limit <= 0) return this.attempt<T>(call, avoid)
    if (this.active < limit) return this.occupy<T>(call, avoid)
    if (this.waiting.length >= this.policy.bulkheadQueue) {
      this.metrics.bulkheadRejections.labels(this.dependency).inc()
      return Promise.reject(
        CallErrors.bulkheadFull(this.dependency, this.policy.bulkheadLimit, this.policy.bulkheadQueue),
      )
    }
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = {
        start: () => {
          call.abort.onAbort = undefined
          this.occupy<T>(call, avoid).then(resolve, reject)
        },
      }
      // The deadline passes while it waits: it leaves the queue and times out (no attempt failed,
      // so neither the breaker nor the retries count it).
      call.abort.onAbort = () => {
        const at = this.waiting.indexOf(waiting)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(CallErrors.timeout(this.dependency, `${call.method} ${call.path}`, call.budgetMs))
      }
      this.waiting.push(waiting)
    })
  }

  private async occupy<T>(call: Call, avoid: Endpoint | undefined): Promise<T> {
    this.active += 1
    try {
      return await this.attempt<T>(call, avoid)
    } finally {
      this.active -= 1
      this.waiting.shift()?.start()
    }
  }

  private async attempt<T>(call: Call, avoid: Endpoint | undefined): Promise<T> {
    const endpoint = this.endpoints.pick(avoid)
    if (!endpoint) throw new AttemptFailure('none', 'no instance')
    // What is left of the call's deadline is the callee's budget.
    const remainingMs = Math.floor(call.deadlineAt - performance.now())
    if (remainingMs < 1) throw new AttemptFailure('timeout', 'deadline')
    const headers: Record<string, string> = { ...call.headers, [DEADLINE_HEADER]: String(remainingMs) }
    if (call.body !== undefined) headers['content-type'] = 'application/json'
    if (call.parentId !== undefined) headers[REQUEST_ID_HEADER] = call.parentId
    if (this.options.caller) headers['x-trellis-caller'] = this.options.caller
    const abort = call.abort
    endpoint.outstanding += 1
    let response: TextResponse
    try {
      response = await dispatchText(
        endpoint.pool,
        { path: call.path, method: call.method, headers, body: call.body ?? null },
        abort,
      )
    } catch (error) {
      // Aborted at the call's deadline: the instance was too slow.
      const failure = abort.aborted ? new AttemptFailure('timeout', 'deadline') : connectionFailure(error)
      if (!failure) throw error
      throw this.failed(endpoint, failure)
    } finally {
      endpoint.outstanding -= 1
    }
    const { statusCode: status, text } = response
    const json = String(response.headers['content-type'] ?? '').includes('json')
    if (status >= 500) {
      const problem = json ? safeParse(text) : undefined
      throw this.failed(endpoint, new AttemptFailure('status', String(status), status, problem))
    }
    this.succeeded(endpoint)
    if (status >= 400) throw this.rejection(status, json ? safeParse(text) : undefined, text)
    if (text === '') return undefined as T
    return (json ? JSON.parse(text) : text) as T
  }

  private succeeded(endpoint: Endpoint): void {
    this.outliers.success(endpoint)
    // The series is looked up once per endpoint: prom-client hashes label values on every labels() call.
    endpoint.okAttempts ??= this.metrics.attempts.labels(this.dependency, endpoint.id, 'ok')
    endpoint.okAttempts.inc()
  }

  private failed(endpoint: Endpoint, failure: AttemptFailure): AttemptFailure {
    this.outliers.failure(endpoint)
    this.metrics.attempts.labels(this.dependency, endpoint.id, 'failed').inc()
    ;(failure as AttemptFailureAt).endpoint = endpoint
    this.log?.debug(
      { dependency: this.dependency, instance: endpoint.id, reason: failure.reason },
      'attempt failed',
    )
    return failure
  }

  private get outliers() {
    return this.endpoints.outliers
  }

  /** The callee's 4xx problem, rethrown with its own code, status and flags, and the dependency named. */
  private rejection(
    status: number,
    problem: Record<string, unknown> | undefined,
    text: string,
  ): TrellisError {
    const code = typeof problem?.['code'] === 'string' ? problem['code'] : `TRELLIS_CALL_REJECTED_${status}`
    return new TrellisError({
      code,
      status,
      title:
        typeof problem?.['title'] === 'string' ? problem['title'] : `${this.dependency} answered ${status}`,
      detail: typeof problem?.['detail'] === 'string' ? problem['detail'] : text.slice(0, 200),
      retryable: problem?.['retryable'] === true,
      extensions: { dependency: this.dependency },
    })
  }

  private toCallError(error: unknown, method: string, path: string, budgetMs: number): TrellisError {
    if (isTrellisError(error)) return error
    if (error instanceof AttemptFailure) {
      if (error.kind === 'none') return CallErrors.noInstance(this.dependency)
      if (error.kind === 'refused' || error.kind === 'connection')
        return CallErrors.unreachable(this.dependency, error.reason).with({ dependency: this.dependency })
      if (error.kind === 'timeout') return CallErrors.timeout(this.dependency, `${method} ${path}`, budgetMs)
      const detail = typeof error.problem?.['detail'] === 'string' ? error.problem['detail'] : 'no detail'
      const make = error.status === 503 ? CallErrors.upstreamUnavailable : CallErrors.upstreamFailed
      return make(this.dependency, error.reason, detail).with({
        dependency: this.dependency,
        ...(typeof error.problem?.['code'] === 'string' ? { upstreamCode: error.problem['code'] } : {}),
      })
    }
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError)
      return CallErrors.circuitOpen(this.dependency, this.policy.breakerHalfOpenAfterMs).with({
        dependency: this.dependency,
      })
    if (error instanceof TaskCancelledError || (error as { name?: string }).name === 'AbortError')
      return CallErrors.timeout(this.dependency, `${method} ${path}`, budgetMs)
    throw error
  }

  private route(method: CallMethod, path: string): RouteState {
    const key = `${method} ${path}`
    let state = this.routes.get(key)
    if (!state) {
      const declared = this.options.routes?.[key] ?? {}
      const retries = declared.retries ?? this.policy.retries
      state = {
        key,
        template: compileTemplate(path),
        ok: this.metrics.calls.labels(this.dependency, key, 'ok'),
        timeoutMs: declared.timeoutMs ?? this.policy.timeoutMs,
        retries,
      }
      this.routes.set(key, state)
    }
    return state
  }
}

type AttemptFailureAt = AttemptFailure & { endpoint?: Endpoint }

/** One call, as its attempts need it. */
interface Call {
  method: CallMethod
  path: string
  headers: Record<string, string> | undefined
  body: string | undefined
  parentId: string | undefined
  idempotent: boolean
  retries: number
  deadlineAt: number
  budgetMs: number
  abort: CallAbort
}

function abortCall(abort: CallAbort): void {
  abort.abort()
}

/** A path template split at its `:name` placeholders: literal text at even indexes, names at odd ones. */
type Template = string[]

function compileTemplate(path: string): Template {
  return path.split(/:([A-Za-z0-9_]+)/)
}

function buildPath(
  template: Template,
  request: Omit<CallRequest<unknown>, 'path'>,
  pathText: string,
): string {
  let path = template[0]!
  if (template.length > 1) {
    const params = request.params ?? {}
    for (let i = 1; i < template.length; i += 2) {
      const value = params[template[i]!]
      if (value === undefined) throw new Error(`call to ${pathText}: no value for :${template[i]}`)
      path += encodeURIComponent(String(value)) + template[i + 1]
    }
  }
  if (request.query) {
    const search = new URLSearchParams()
    for (const [name, value] of Object.entries(request.query))
      if (value !== undefined) search.set(name, String(value))
    const text = search.toString()
    if (text) path += `?${text}`
  }
  return path
}

function safeParse(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text)
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
