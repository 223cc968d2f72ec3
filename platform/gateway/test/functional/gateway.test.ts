import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import {
  createLogger,
  instanceMetrics,
  parseTopology,
  RegistryClient,
  type RouteInfo,
  requestDurations,
  ServiceDirectory,
} from '@trellis/kit/platform'
import { createRegistryApp } from '@trellis/registry'
import { eventually, http } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFilters } from '../../src/build-filters.js'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { DEFAULT_FILTERS } from '../../src/settings.js'

const log = createLogger({ service: 'gateway', instance: 'test', level: 'silent' })
const closers: Array<() => Promise<unknown>> = []
let registry: RegistryClient
let directory: ServiceDirectory
let gateway: Gateway
let base: string
let upstreams: ReturnType<typeof buildFilters>['upstreams']

const topology = parseTopology(
  `
name: test
services:
  catalog: { path: x, expose: { prefix: /api/catalog } }
  order: { path: x, expose: { prefix: /api/orders, rewrite: /orders } }
  ghost: { path: x, expose: { prefix: /api/ghost } }
  slow: { path: x, expose: { prefix: /api/slow, timeoutMs: 300 } }
  flaky: { path: x, expose: { prefix: /api/flaky } }
  broken: { path: x, expose: { prefix: /api/broken, breaker: { failures: 3, halfOpenAfterMs: 60000 } } }
`,
  'test.yaml',
)

const PUBLIC_ROUTES: RouteInfo[] = [
  { method: 'GET', url: '/products', access: 'public', auth: 'public' },
  { method: 'POST', url: '/products', access: 'public', auth: 'public' },
  { method: 'GET', url: '/products/:id', access: 'public', auth: 'public' },
  { method: 'GET', url: '/big', access: 'public', auth: 'public' },
  { method: 'GET', url: '/slow', access: 'public', auth: 'public' },
  { method: 'GET', url: '/orders/:id', access: 'public', auth: 'public' },
  { method: 'GET', url: '/admin/secrets', access: 'internal' },
]

/** An upstream that echoes what it received, or answers `failWith` to everything. */
async function upstream(id: string, failWith?: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (failWith) {
      res.writeHead(failWith, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify({ code: 'TRELLIS_TEST_FAILING', status: failWith, instance: id }))
      return
    }
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        const chunk = Buffer.alloc(64 * 1024, 120)
        for (let i = 0; i < 80; i++) res.write(chunk)
        res.end()
        return
      }
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'x-upstream': id })
        res.end(
          JSON.stringify({ instance: id, method: req.method, url: req.url, headers: req.headers, body }),
        )
      }
      if (req.url === '/slow') setTimeout(answer, 1_000)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((r) => server.close(r)))
  const address = server.address()
  return { server, port: typeof address === 'object' && address ? address.port : 0 }
}

async function register(service: string, id: string, port: number) {
  await registry.register({
    service,
    id,
    host: '127.0.0.1',
    port,
    version: '1',
    metadata: { routes: PUBLIC_ROUTES },
  })
}

/** Writes bytes to the gateway and returns everything it answers until it closes. */
function raw(text: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = connect(Number(new URL(base).port), '127.0.0.1', () => socket.write(text))
    let data = ''
    socket.on('data', (d) => (data += d))
    socket.on('close', () => resolve(data))
  })
}

const metrics = instanceMetrics('gateway', 'gateway-test')

beforeAll(async () => {
  const { app } = createRegistryApp({
    log,
    ttlMs: 3_000,
    heartbeatIntervalMs: 1_000,
    sweepIntervalMs: 100,
    maxWaitMs: 10_000,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  closers.push(() => app.close())
  const address = app.server.address()
  registry = new RegistryClient(
    `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
  )
  directory = new ServiceDirectory(registry, undefined, 2_000)
  const built = buildFilters(DEFAULT_FILTERS, {
    topology,
    directory,
    upstreamConnections: 16,
    metrics,
  })
  upstreams = built.upstreams
  directory.start()
  closers.push(async () => {
    directory.stop()
    await upstreams.close()
  })
  gateway = createGateway({
    log,
    filters: built.filters,
    accessLog: false,
    requestDurations: requestDurations(metrics),
  })
  await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve))
  closers.push(() => gateway.drain(1_000))
  const gatewayAddress = gateway.server.address()
  base = `http://127.0.0.1:${typeof gatewayAddress === 'object' && gatewayAddress ? gatewayAddress.port : 0}`

  const a = await upstream('catalog-a')
  const b = await upstream('catalog-b')
  await register('catalog', 'catalog-a', a.port)
  await register('catalog', 'catalog-b', b.port)
  await register('order', 'order-a', (await upstream('order-a')).port)
  await register('slow', 'slow-a', (await upstream('slow-a')).port)
  await register('flaky', 'flaky-ok', (await upstream('flaky-ok')).port)
  await register('flaky', 'flaky-503', (await upstream('flaky-503', 503)).port)
  await register('broken', 'broken-a', (await upstream('broken-a', 500)).port)
  await eventually(
    () =>
      directory.instances('catalog').length === 2 &&
      directory.instances('slow').length === 1 &&
      directory.instances('flaky').length === 2 &&
      directory.instances('broken').length === 1,
    5_000,
    'directory',
  )
})

afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

describe('gateway routing', () => {
  it('routes by logical service name, strips the prefix and balances round-robin', async () => {
    const seen = new Map<string, number>()
    for (let i = 0; i < 10; i++) {
      const res = await http(`${base}/api/catalog/products?page=2`)
      expect(res.status).toBe(200)
      expect(res.body.url).toBe('/products?page=2')
      seen.set(res.body.instance, (seen.get(res.body.instance) ?? 0) + 1)
    }
    expect(Object.fromEntries(seen)).toEqual({ 'catalog-a': 5, 'catalog-b': 5 })
  })

  it('rewrites the prefix when the topology says so', async () => {
    expect((await http(`${base}/api/orders/42`)).body.url).toBe('/orders/42')
  })

  it('adds forwarding headers and carries the correlation id both ways', async () => {
    const res = await http(`${base}/api/catalog/products/1`, {
      headers: { 'x-request-id': 'trace-me-1', 'x-forwarded-for': '10.0.0.9' },
    })
    expect(res.headers.get('x-request-id')).toBe('trace-me-1')
    expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=/)
    expect(res.body.headers).toMatchObject({
      'x-request-id': 'trace-me-1',
      'x-forwarded-for': '10.0.0.9, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-prefix': '/api/catalog',
    })
    expect(res.body.headers['x-forwarded-host']).toMatch(/^127\.0\.0\.1:/)
  })

  it('streams request and response bodies', async () => {
    const payload = JSON.stringify({ name: 'x'.repeat(200_000) })
    const res = await http(`${base}/api/catalog/products`, {
      method: 'POST',
      raw: payload,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.body.body).toBe(payload)
    const big = await fetch(`${base}/api/catalog/big`)
    expect((await big.arrayBuffer()).byteLength).toBe(80 * 64 * 1024)
  })

  it('never forwards a route the service registered as internal, nor an unknown path', async () => {
    for (const path of ['/api/catalog/admin/secrets', '/api/catalog/health/ready', '/api/nothing', '/']) {
      const res = await http(`${base}${path}`)
      expect(res.status, path).toBe(404)
      expect(res.body.code).toBe('TRELLIS_GATEWAY_ROUTE_NOT_FOUND')
    }
  })

  it('refuses ambiguous paths before routing', async () => {
    // Sent byte for byte: an HTTP client library would normalise them first.
    for (const path of [
      '/api/catalog/..%2F..%2Fadmin/secrets',
      '/api/catalog/%2e%2e/admin/secrets',
      '/api/catalog/../catalog/admin/secrets',
      '/api//catalog/products',
    ]) {
      const response = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect(response, path).toMatch(/^HTTP\/1.1 400[\s\S]*TRELLIS_GATEWAY_PATH_INVALID/)
    }
  })
})

describe('gateway metrics', () => {
  it('serves its series on GET /metrics to loopback: requests by route prefix and status, upstream calls', async () => {
    await http(`${base}/api/catalog/products`)
    await http(`${base}/api/nowhere`)
    await http(`${base}/health/live`)
    const res = await fetch(`${base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    const line = (pattern: RegExp) => text.split('\n').find((l) => pattern.test(l))
    expect(
      line(
        /^trellis_http_request_duration_seconds_count\{method="GET",route="\/api\/catalog",status="200",service="gateway",instance="gateway-test"\} [1-9]/,
      ),
    ).toBeDefined()
    expect(
      line(/^trellis_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"/),
    ).toBeDefined()
    // Probes and scrapes are not traffic.
    expect(
      line(/^trellis_http_request_duration_seconds_count\{[^}]*route="(\/health|\/metrics)/),
    ).toBeUndefined()
    // Which upstream instance was called is its own label: `instance` stays the gateway's.
    expect(
      line(
        /^trellis_client_attempts_total\{dependency="catalog",upstream="catalog-[ab]",outcome="ok",service="gateway",instance="gateway-test"\} [1-9]/,
      ),
    ).toBeDefined()
    expect(
      line(
        /^trellis_client_breaker_state\{dependency="catalog",service="gateway",instance="gateway-test"\} 0/,
      ),
    ).toBeDefined()
    expect(line(/^process_cpu_seconds_total\{service="gateway",instance="gateway-test"\}/)).toBeDefined()
  })

  it('answers the 404 of any unknown path to an address it does not allow', async () => {
    const { filters, upstreams: others } = buildFilters(DEFAULT_FILTERS, {
      topology,
      directory,
      upstreamConnections: 1,
      metrics: instanceMetrics('gateway', 'gateway-closed'),
      metricsAllow: ['10.0.0.0/8'],
    })
    const closed = createGateway({ log, filters, accessLog: false })
    await new Promise<void>((resolve) => closed.server.listen(0, '127.0.0.1', resolve))
    try {
      const address = closed.server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      const res = await http(`http://127.0.0.1:${port}/metrics`)
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      expect(JSON.stringify(res.body)).not.toContain('trellis_')
    } finally {
      await closed.drain(1_000)
      await others.close()
    }
  })
})

describe('gateway failures', () => {
  it('answers 503 problem+json with Retry-After when no instance is registered', async () => {
    const res = await http(`${base}/api/ghost/anything`)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.body.code).toBe('TRELLIS_GATEWAY_NO_INSTANCE')
  })

  it('answers 504 when the upstream does not answer in time', async () => {
    const res = await http(`${base}/api/slow/slow`)
    expect(res.status).toBe(504)
    expect(res.body.code).toBe('TRELLIS_GATEWAY_UPSTREAM_TIMEOUT')
  })

  it('retries a bodiless request on another instance when one refuses connections, then ejects it', async () => {
    const dead = await upstream('dead')
    await new Promise((r) => dead.server.close(r))
    await register('catalog', 'catalog-dead', dead.port)
    await eventually(() => directory.instances('catalog').length === 3, 5_000, 'dead instance listed')
    // A request with a body is not replayed: it may have reached the instance.
    const posts: unknown[] = []
    for (let i = 0; i < 3; i++)
      posts.push(
        await http(`${base}/api/catalog/products`, { body: { a: 1 } }).then((r) => r.body.code ?? r.status),
      )
    expect(posts).toContain('TRELLIS_GATEWAY_UPSTREAM_FAILED')
    const statuses = await Promise.all(
      Array.from({ length: 9 }, () => http(`${base}/api/catalog/products`).then((r) => r.status)),
    )
    expect(statuses).toEqual(Array(9).fill(200))
    // Failed calls in a row took it out of rotation: bodies too now go only to live instances.
    const deadEndpoint = upstreams
      .get({ service: 'catalog', prefix: '/api/catalog', rewrite: '/', timeoutMs: 10_000 })
      .endpoints.list()
      .find((e) => e.id === 'catalog-dead')!
    expect(deadEndpoint.ejectedUntil).toBeGreaterThan(0)
    const after = await Promise.all(
      Array.from({ length: 6 }, () =>
        http(`${base}/api/catalog/products`, { body: { a: 1 } }).then((r) => r.status),
      ),
    )
    expect(after).toEqual(Array(6).fill(200))
    await registry.deregister('catalog', 'catalog-dead')
    await eventually(() => directory.instances('catalog').length === 2, 5_000, 'dead instance gone')
  })

  it('retries a 503 on another instance for an idempotent request, and passes a 503 on for others', async () => {
    const gets = await Promise.all(
      Array.from({ length: 8 }, () => http(`${base}/api/flaky/products`).then((r) => r.body.instance)),
    )
    expect(gets).toEqual(Array(8).fill('flaky-ok'))
  })

  it('passes the route timeout on as the upstream deadline, or the client’s shorter one', async () => {
    expect((await http(`${base}/api/catalog/products`)).body.headers['x-trellis-budget-ms']).toBe('10000')
    const shorter = await http(`${base}/api/catalog/products`, { headers: { 'x-trellis-budget-ms': '750' } })
    expect(shorter.body.headers['x-trellis-budget-ms']).toBe('750')
    const longer = await http(`${base}/api/catalog/products`, { headers: { 'x-trellis-budget-ms': '99999' } })
    expect(longer.body.headers['x-trellis-budget-ms']).toBe('10000')
  })

  it('opens the circuit of a service that keeps failing and then answers 503 at once', async () => {
    const first = []
    for (let i = 0; i < 3; i++) first.push(await http(`${base}/api/broken/products`))
    // The upstream's own answers are passed on while the circuit is closed.
    expect(first.map((r) => r.status)).toEqual([500, 500, 500])
    expect(first[0]!.body.code).toBe('TRELLIS_TEST_FAILING')
    const open = await http(`${base}/api/broken/products`)
    expect(open.status).toBe(503)
    expect(open.headers.get('retry-after')).toBe('1')
    expect(open.body).toMatchObject({ code: 'TRELLIS_GATEWAY_CIRCUIT_OPEN', retryable: true })
  })

  it('answers malformed HTTP and oversized headers with problem+json, and keeps serving', async () => {
    expect(await raw('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1.1 400[\s\S]*TRELLIS_GATEWAY_REQUEST_MALFORMED/)
    expect(await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(
      /^HTTP\/1.1 431[\s\S]*TRELLIS_GATEWAY_HEADERS_TOO_LARGE/,
    )
    expect((await http(`${base}/api/catalog/products`)).status).toBe(200)
  })
})
