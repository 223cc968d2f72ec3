import { createServer, type Server } from 'node:http'
import {
  type CallPolicy,
  ClientMetrics,
  callPolicy,
  Deadline,
  DependencyClient,
  defineRoute,
  defineService,
  isTrellisError,
  runService,
  staticSource,
  type TrellisError,
  Type,
} from '@trellis/kit'
import { http, startTestService } from '@trellis/testing'
import { Registry } from 'prom-client'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

// The kit's call client against stub upstreams that can be slow, failing,
// flapping or dead: each policy on its own and together.
type Mode = 'ok' | 'slow' | '503' | '500' | 'flap'
interface Upstream {
  url: string
  mode: Mode
  hits: number
  budgets: string[]
  kill(): Promise<void>
}

const closers: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

async function upstream(mode: Mode = 'ok'): Promise<Upstream> {
  const state = { mode, hits: 0, budgets: [] as string[] }
  let flip = false
  const server: Server = createServer((req, res) => {
    state.hits += 1
    state.budgets.push(String(req.headers['x-trellis-budget-ms']))
    const answer = (status: number) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          status < 400 ? { ok: true, port } : { code: `TRELLIS_TEST_${status}`, detail: 'stub' },
        ),
      )
    }
    if (state.mode === 'slow') setTimeout(() => answer(200), 1_000)
    else if (state.mode === '503') answer(503)
    else if (state.mode === '500') answer(500)
    else if (state.mode === 'flap') {
      flip = !flip
      answer(flip ? 503 : 200)
    } else answer(200)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  let closed = false
  const kill = async () => {
    if (closed) return
    closed = true
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
  closers.push(kill)
  return Object.assign(state, { url: `http://127.0.0.1:${port}`, kill })
}

const clients: DependencyClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
})

function client(
  urls: string[],
  policy: Partial<CallPolicy> = {},
  registry = new Registry(),
): DependencyClient {
  const c = new DependencyClient(
    'stub',
    staticSource('stub', urls),
    callPolicy({ retryBackoffMs: 1, ...policy }),
    {
      metrics: ClientMetrics.of(registry),
    },
  )
  clients.push(c)
  return c
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (isTrellisError(error)) return error.code
    throw error
  }
}

describe('deadline', () => {
  it('fails a slow call at its timeout, and tells the callee its budget', async () => {
    const slow = await upstream('slow')
    const c = client([slow.url], { timeoutMs: 200 })
    expect(await code(c.get('/x'))).toBe('TRELLIS_CALL_TIMEOUT')
    expect(Number(slow.budgets[0])).toBeGreaterThan(150)
    expect(Number(slow.budgets[0])).toBeLessThanOrEqual(200)
  })

  it('is bounded by the inbound request deadline, and refuses to start when it has passed', async () => {
    const ok = await upstream()
    const c = client([ok.url])
    await c.get('/x', { parent: { id: 'req-1', deadline: Deadline.in(120) } })
    expect(Number(ok.budgets.at(-1))).toBeLessThanOrEqual(120)
    const hits = ok.hits
    expect(await code(c.get('/x', { parent: { id: 'req-2', deadline: Deadline.in(0) } }))).toBe(
      'TRELLIS_CALL_DEADLINE_EXCEEDED',
    )
    expect(ok.hits).toBe(hits)
  })
})

describe('retries', () => {
  it('retries a 503 for an idempotent call on another instance, not a POST', async () => {
    const failing = await upstream('503')
    const ok = await upstream()
    const c = client([failing.url, ok.url], { ejectAfterFailures: 0 })
    for (let i = 0; i < 4; i++) expect(await c.get('/x')).toMatchObject({ ok: true })
    const posts = await Promise.all(Array.from({ length: 4 }, () => code(c.post('/x', { body: {} }))))
    expect(posts).toContain('TRELLIS_CALL_UPSTREAM_UNAVAILABLE')
    // An Idempotency-Key makes a POST safe to repeat, if the caller says so.
    for (let i = 0; i < 4; i++) expect(await code(c.post('/x', { body: {}, idempotent: true }))).toBe('ok')
  })

  it('does not retry a 500: the callee answered', async () => {
    const failing = await upstream('500')
    const c = client([failing.url], { breakerFailures: 0 })
    const error = (await c.get('/x').catch((e) => e)) as TrellisError
    expect(error).toMatchObject({ code: 'TRELLIS_CALL_UPSTREAM_FAILED', status: 502 })
    expect(error.extensions.upstreamCode).toBe('TRELLIS_TEST_500')
    expect(failing.hits).toBe(1)
  })

  it('retries a refused connection for any method, since nothing reached the callee', async () => {
    const dead = await upstream()
    await dead.kill()
    const ok = await upstream()
    const c = client([dead.url, ok.url])
    const results = await Promise.all(Array.from({ length: 6 }, () => code(c.post('/x', { body: {} }))))
    expect(results).toEqual(Array(6).fill('ok'))
  })

  it('stops retrying when the retry budget is spent', async () => {
    const failing = await upstream('503')
    const registry = new Registry()
    const c = client(
      [failing.url],
      { retries: 3, retryBudgetRatio: 0, retryBudgetPerSecond: 0, breakerFailures: 0 },
      registry,
    )
    for (let i = 0; i < 5; i++) expect(await code(c.get('/x'))).toBe('TRELLIS_CALL_UPSTREAM_UNAVAILABLE')
    // One token to start with, then nothing: 5 calls and 1 retry.
    expect(failing.hits).toBe(6)
    expect(await registry.getSingleMetricAsString('trellis_client_retries_denied_total')).toMatch(/ 5$/m)
  })

  it('gets a flapping upstream through, one retry at a time', async () => {
    const flapping = await upstream('flap')
    const c = client([flapping.url], { ejectAfterFailures: 0, breakerFailures: 0 })
    const results = []
    for (let i = 0; i < 10; i++) results.push(await code(c.get('/x')))
    expect(results).toEqual(Array(10).fill('ok'))
  })
})

describe('circuit breaker', () => {
  it('opens after failures in a row, fails at once while open, and closes after a good trial', async () => {
    const failing = await upstream('500')
    const registry = new Registry()
    const c = client(
      [failing.url],
      { breakerFailures: 3, breakerHalfOpenAfterMs: 200, ejectAfterFailures: 0 },
      registry,
    )
    for (let i = 0; i < 3; i++) expect(await code(c.get('/x'))).toBe('TRELLIS_CALL_UPSTREAM_FAILED')
    expect(c.breakerState).toBe('open')
    const error = await c.get('/x').catch((e) => e)
    expect(error).toMatchObject({ code: 'TRELLIS_CALL_CIRCUIT_OPEN', status: 503, retryable: true })
    expect(failing.hits).toBe(3)
    expect(await registry.getSingleMetricAsString('trellis_client_breaker_state')).toMatch(
      /dependency="stub"\} 1/,
    )
    failing.mode = 'ok'
    await new Promise((r) => setTimeout(r, 250))
    expect(await code(c.get('/x'))).toBe('ok')
    expect(c.breakerState).toBe('closed')
  })

  it('does not count an answer that says no (4xx) as a failure', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' })
      res.end(
        JSON.stringify({ code: 'TRELLIS_TEST_NOT_FOUND', status: 404, title: 'Not found', detail: 'none' }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closers.push(() => new Promise((r) => server.close(r)))
    const address = server.address()
    const c = client([`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`], {
      breakerFailures: 2,
    })
    for (let i = 0; i < 4; i++) {
      const error = await c.get('/x').catch((e) => e)
      // The callee's own problem, passed on with its code and status.
      expect(error).toMatchObject({
        code: 'TRELLIS_TEST_NOT_FOUND',
        status: 404,
        extensions: { dependency: 'stub' },
      })
    }
    expect(c.breakerState).toBe('closed')
  })
})

describe('bulkhead and fallback', () => {
  it('rejects at once beyond the concurrency limit and the queue', async () => {
    const slow = await upstream('slow')
    const c = client([slow.url], { bulkheadLimit: 2, bulkheadQueue: 1, timeoutMs: 3_000 })
    const results = await Promise.all(Array.from({ length: 5 }, () => code(c.get('/x'))))
    expect(results.filter((r) => r === 'ok')).toHaveLength(3)
    expect(results.filter((r) => r === 'TRELLIS_CALL_BULKHEAD_FULL')).toHaveLength(2)
  })

  it('times out a call still waiting in the queue at its own deadline', async () => {
    const slow = await upstream('slow')
    const c = client([slow.url], { bulkheadLimit: 1, bulkheadQueue: 4 })
    const first = code(c.get('/x', { timeoutMs: 3_000 }))
    const started = performance.now()
    // Queued behind the slow one, which takes a second: its 150 ms run out while it waits.
    expect(await code(c.get('/x', { timeoutMs: 150 }))).toBe('TRELLIS_CALL_TIMEOUT')
    expect(performance.now() - started).toBeLessThan(800)
    expect(await first).toBe('ok')
    // The queue forgot it: the next call gets the free place.
    expect(await code(c.get('/x', { timeoutMs: 3_000 }))).toBe('ok')
  })

  it('answers with the caller’s fallback when the call gets no answer', async () => {
    const slow = await upstream('slow')
    const c = client([slow.url], { timeoutMs: 100 })
    const value = await c.get<{ ok: boolean; fallback?: string }>('/x', {
      fallback: (error) => ({ ok: false, fallback: error.code }),
    })
    expect(value).toEqual({ ok: false, fallback: 'TRELLIS_CALL_TIMEOUT' })
  })
})

describe('balancing and outlier ejection', () => {
  it('takes a dead instance out of rotation after failures in a row', async () => {
    const a = await upstream()
    const b = await upstream()
    const registry = new Registry()
    const c = client([a.url, b.url], {}, registry)
    for (let i = 0; i < 4; i++) await c.get('/x')
    await a.kill()
    for (let i = 0; i < 20; i++) expect(await code(c.get('/x'))).toBe('ok')
    const attempts = await registry.getSingleMetricAsString('trellis_client_attempts_total')
    const failed = Number(attempts.match(/outcome="failed"\} (\d+)/)?.[1])
    expect(failed).toBe(3)
    expect(await registry.getSingleMetricAsString('trellis_client_ejections_total')).toMatch(/ 1$/m)
    expect(c.endpoints.list().find((e) => e.url === a.url)!.ejectedUntil).toBeGreaterThan(0)
  })

  it('least-outstanding sends nothing new to an instance still busy with a slow request', async () => {
    const slow = await upstream('slow')
    const fast = await upstream()
    const c = client([slow.url, fast.url], { balancer: 'least-outstanding', timeoutMs: 3_000 })
    // Two at once: one lands on each instance; the slow one stays busy for a second.
    const pending = Promise.all([c.get('/x'), c.get('/x')])
    await new Promise((r) => setTimeout(r, 50))
    for (let i = 0; i < 5; i++) await c.get('/x')
    expect(slow.hits).toBe(1)
    expect(fast.hits).toBe(6)
    await pending
  })
})

describe('callee side: deadlines and fault injection', () => {
  const echo = defineService({
    name: 'echo',
    routes: () => [
      defineRoute({
        method: 'GET',
        url: '/budget',
        summary: 'The remaining budget',
        auth: 'public',
        schema: {
          response: { 200: Type.Object({ remainingMs: Type.Union([Type.Integer(), Type.Null()]) }) },
        },
        handler: async (request) => ({ remainingMs: request.deadline?.remainingMs() ?? null }),
      }),
    ],
  })

  it('exposes the remaining budget and refuses work whose deadline has passed', async () => {
    const service = await startTestService(echo)
    closers.push(() => service.stop())
    const res = await http(`${service.url}/budget`, { headers: { 'x-trellis-budget-ms': '5000' } })
    expect(res.body.remainingMs).toBeGreaterThan(4_000)
    expect((await http(`${service.url}/budget`)).body.remainingMs).toBeNull()
    const late = await http(`${service.url}/budget`, { headers: { 'x-trellis-budget-ms': '0' } })
    expect(late.status).toBe(504)
    expect(late.body).toMatchObject({ code: 'TRELLIS_DEADLINE_EXCEEDED', retryable: false })
    const bad = await http(`${service.url}/budget`, { headers: { 'x-trellis-budget-ms': 'soon' } })
    expect(bad.status).toBe(400)
  })

  it('makes a route slow, failing or dead through the internal admin route', async () => {
    const service = await startTestService(echo, { env: { TRELLIS_FAULTS_ENABLED: 'true' } })
    closers.push(() => service.stop())
    const put = (faults: unknown) => http(`${service.url}/admin/faults`, { method: 'PUT', body: { faults } })
    expect((await put([{ route: 'GET /budget', kind: 'fail', status: 500 }])).status).toBe(200)
    const failed = await http(`${service.url}/budget`)
    expect(failed).toMatchObject({ status: 500, body: { code: 'TRELLIS_FAULT_INJECTED' } })
    await put([{ route: '*', kind: 'dead' }])
    await expect(fetch(`${service.url}/budget`)).rejects.toThrow()
    // Probes keep answering: only the service's own routes are faulted.
    expect((await http(`${service.url}/health/live`)).status).toBe(200)
    await put([{ route: 'GET /budget', kind: 'slow', delayMs: 300 }])
    const c = client([service.url], { timeoutMs: 100 })
    expect(await code(c.get('/budget'))).toBe('TRELLIS_CALL_TIMEOUT')
    expect((await put([{ route: 'GET /budget', kind: 'explode' }])).status).toBe(400)
    await http(`${service.url}/admin/faults`, { method: 'DELETE' })
    expect((await http(`${service.url}/budget`)).status).toBe(200)
    const metrics = await http(`${service.url}/metrics`)
    expect(metrics.body).toMatch(/trellis_faults_injected_total\{[^}]*kind="fail"/)
  })

  it('has no fault switch unless enabled, and refuses to start with it in production', async () => {
    const service = await startTestService(echo)
    closers.push(() => service.stop())
    expect((await http(`${service.url}/admin/faults`)).status).toBe(404)
    await expect(
      runService(echo, {
        env: { TRELLIS_ENV: 'production', TRELLIS_FAULTS_ENABLED: 'true', TRELLIS_LOG_LEVEL: 'silent' },
      }),
    ).rejects.toMatchObject({ code: 'TRELLIS_CONFIG_INVALID' })
  })
})
