import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import {
  AssertionVerifier,
  createLogger,
  generateEdgeKeys,
  IDENTITY_HEADER,
  parseTopology,
  RegistryClient,
  type RouteInfo,
  ServiceDirectory,
} from '@trellis/kit/platform'
import { createRegistryApp } from '@trellis/registry'
import { eventually, http } from '@trellis/testing'
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFilters } from '../../src/build-filters.js'
import { createGateway } from '../../src/gateway.js'
import type { SecurityOptions } from '../../src/security-options.js'
import { DEFAULT_FILTERS } from '../../src/settings.js'

// The gateway's security filters against a stub identity service (JWKS, API
// key checks) and a stub upstream that verifies the assertions it receives.
const log = createLogger({ service: 'gateway', instance: 'test', level: 'silent' })
const closers: Array<() => Promise<unknown>> = []
let registry: RegistryClient
let directory: ServiceDirectory
const edge = await generateEdgeKeys()
const verifier = AssertionVerifier.fromJwks(edge.publicKeys, 'catalog')
const topology = parseTopology(
  `
name: test
services:
  catalog: { path: x, expose: { prefix: /api/catalog } }
  identity: { path: x, expose: { prefix: /api/identity } }
`,
  'test.yaml',
)

const ROUTES: RouteInfo[] = [
  { method: 'GET', url: '/open', access: 'public', auth: 'public' },
  { method: 'GET', url: '/mine', access: 'public', auth: 'signed-in' },
  { method: 'POST', url: '/admin', access: 'public', auth: { roles: ['admin'] } },
  {
    method: 'GET',
    url: '/stock',
    access: 'public',
    auth: { roles: ['merchant'], scopes: ['inventory:read'] },
  },
  { method: 'GET', url: '/undeclared', access: 'public' },
]

// identity's signing keys; `rotate` adds one and makes it current.
const signing: Array<{
  kid: string
  key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
  jwk: JWK
}> = []
async function rotate() {
  const pair = await generateKeyPair('ES256', { extractable: true })
  const kid = `k${signing.length + 1}`
  signing.push({
    kid,
    key: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' },
  })
}
const API_KEY = `trk_${'1'.repeat(32)}_${'A'.repeat(43)}`
const SCOPED_KEY = `trk_${'2'.repeat(32)}_${'B'.repeat(43)}`

async function token(
  claims: Record<string, unknown> = {},
  opts: { kid?: string; exp?: string | number; iss?: string; aud?: string; typ?: string } = {},
) {
  const current = signing.at(-1)!
  return new SignJWT({ roles: ['customer'], ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? current.kid, typ: opts.typ ?? 'at+jwt' })
    .setIssuer(opts.iss ?? 'trellis-identity')
    .setAudience(opts.aud ?? 'trellis')
    .setSubject(String(claims['sub'] ?? 'user-1'))
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(current.key)
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => handler(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((r) => server.close(r)))
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

async function gateway(security: Partial<SecurityOptions>): Promise<string> {
  const { filters, upstreams } = buildFilters(DEFAULT_FILTERS, {
    topology,
    directory,
    upstreamConnections: 8,
    security: { edgeSigningKey: edge.signingKey, corsOrigins: ['https://shop.example'], ...security },
  })
  const gw = createGateway({ log, filters, accessLog: false })
  await new Promise<void>((resolve) => gw.server.listen(0, '127.0.0.1', resolve))
  closers.push(async () => {
    await gw.drain(500)
    await upstreams.close()
  })
  const address = gw.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

let base: string
let identityPort: number
beforeAll(async () => {
  await rotate()
  const { app } = createRegistryApp({
    log,
    ttlMs: 3_000,
    heartbeatIntervalMs: 1_000,
    sweepIntervalMs: 100,
    maxWaitMs: 5_000,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  closers.push(() => app.close())
  const address = app.server.address()
  registry = new RegistryClient(
    `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
  )
  directory = new ServiceDirectory(registry, undefined, 2_000)
  directory.start()
  closers.push(async () => directory.stop())

  identityPort = await listen((req, res, body) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ keys: signing.map((s) => s.jwk) }))
    }
    const key = req.url === '/api-keys/verify' ? JSON.parse(body).key : undefined
    const known: Record<string, unknown> = {
      [API_KEY]: { subject: 'u-9', keyId: 'key-1', roles: ['merchant'], scopes: [], merchantId: 'm-1' },
      [SCOPED_KEY]: {
        subject: 'u-9',
        keyId: 'key-2',
        roles: ['merchant'],
        scopes: ['inventory:read'],
        merchantId: 'm-1',
      },
    }
    res.writeHead(known[key] ? 200 : 401, { 'content-type': 'application/json' })
    res.end(JSON.stringify(known[key] ?? { code: 'TRELLIS_IDENTITY_API_KEY_INVALID' }))
  })
  const upstreamPort = await listen(async (req, res) => {
    const assertion = req.headers[IDENTITY_HEADER]
    const identity =
      typeof assertion === 'string' ? await verifier.verify(assertion).catch(() => 'refused') : null
    res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'Express', server: 'stub/1.0' })
    res.end(JSON.stringify({ identity, headers: req.headers }))
  })
  await registry.register({
    service: 'catalog',
    id: 'catalog-1',
    host: '127.0.0.1',
    port: upstreamPort,
    version: '1',
    metadata: { routes: ROUTES },
  })
  await registry.register({
    service: 'identity',
    id: 'identity-1',
    host: '127.0.0.1',
    port: identityPort,
    version: '1',
    metadata: { routes: [] },
  })
  // Heartbeats keep both stubs' leases; a deregistered one answers "unknown" and stays gone.
  const beat = setInterval(() => {
    for (const [service, id] of [
      ['catalog', 'catalog-1'],
      ['identity', 'identity-1'],
    ] as const)
      void registry.heartbeat(service, id).catch(() => undefined)
  }, 500)
  closers.push(async () => clearInterval(beat))
  await eventually(
    () => directory.instances('identity').length === 1 && directory.instances('catalog').length === 1,
    5_000,
    'directory',
  )
  base = await gateway({ rateLimitIp: { ratePerS: 0, burst: 1 }, rateLimitClient: { ratePerS: 0, burst: 1 } })
})
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

const get = (path: string, headers: Record<string, string> = {}) =>
  http(`${base}/api/catalog${path}`, { headers })
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

describe('authentication and authorisation at the gateway', () => {
  it('lets anyone call a public route and asks for sign-in elsewhere, undeclared routes included', async () => {
    expect((await get('/open')).body.identity).toBeNull()
    for (const path of ['/mine', '/undeclared']) {
      const res = await get(path)
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('TRELLIS_AUTH_REQUIRED')
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
  })

  it('forwards a verified caller as an assertion for that service only, without the token', async () => {
    const res = await get('/mine', bearer(await token({ sub: 'user-7', roles: ['merchant'], mid: 'm-1' })))
    expect(res.status).toBe(200)
    expect(res.body.identity).toEqual({
      subject: 'user-7',
      kind: 'user',
      roles: ['merchant'],
      scopes: [],
      merchantId: 'm-1',
    })
    expect(res.body.headers.authorization).toBeUndefined()
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('removes identity headers a client made up', async () => {
    const forged = await verifierFreeAssertion()
    const res = await get('/open', {
      [IDENTITY_HEADER]: forged,
      'x-trellis-user': 'admin',
      'x-trellis-caller': 'catalog',
    })
    expect(res.body.identity).toBeNull()
    // Only the deadline the gateway sets itself goes upstream.
    expect(Object.keys(res.body.headers).filter((h) => h.startsWith('x-trellis-'))).toEqual([
      'x-trellis-budget-ms',
    ])
  })

  it('refuses unsigned, forged, expired, misaddressed and malformed tokens with 401, on public routes too', async () => {
    const stranger = await generateKeyPair('ES256')
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: signing[0]!.kid, typ: 'at+jwt' })
      .setIssuer('trellis-identity')
      .setAudience('trellis')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stranger.privateKey)
    const none = new UnsecuredJWT({ roles: ['admin'] })
      .setIssuer('trellis-identity')
      .setAudience('trellis')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode()
    const hmac = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer('trellis-identity')
      .setAudience('trellis')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(signing[0]!.jwk)))
    const cases: Array<[string, string]> = [
      ['alg none', none],
      ['forged', forged],
      ['HS256 with the public key', hmac],
      ['expired', await token({}, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ['wrong audience', await token({}, { aud: 'another-api' })],
      ['wrong issuer', await token({}, { iss: 'evil' })],
      ['not an access token', await token({}, { typ: 'JWT' })],
      ['unknown role', await token({ roles: ['root'] })],
      ['garbage', 'a.b.c'],
      ['long', 'x'.repeat(5000)],
    ]
    for (const [what, t] of cases) {
      for (const path of ['/open', '/mine']) {
        const res = await get(path, bearer(t))
        expect({ what, path, status: res.status, code: res.body.code }).toEqual({
          what,
          path,
          status: 401,
          code: 'TRELLIS_GATEWAY_TOKEN_INVALID',
        })
      }
    }
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'token abc']) {
      expect((await get('/mine', { authorization: header })).status).toBe(401)
    }
  })

  it('decides roles and, for API keys, scopes', async () => {
    const customer = bearer(await token())
    const admin = bearer(await token({ roles: ['admin'] }))
    const post = (headers: Record<string, string>) =>
      http(`${base}/api/catalog/admin`, { method: 'POST', headers })
    expect((await post(customer)).status).toBe(403)
    expect((await post(customer)).body.code).toBe('TRELLIS_AUTH_FORBIDDEN')
    expect((await post(admin)).status).toBe(200)
    expect((await get('/stock', { 'x-api-key': API_KEY })).status).toBe(403)
    const scoped = await get('/stock', { 'x-api-key': SCOPED_KEY })
    expect(scoped.status).toBe(200)
    expect(scoped.body.identity).toMatchObject({
      kind: 'api-key',
      keyId: 'key-2',
      scopes: ['inventory:read'],
    })
    expect(scoped.body.headers['x-api-key']).toBeUndefined()
    expect((await get('/mine', { 'x-api-key': `trk_${'3'.repeat(32)}_${'C'.repeat(43)}` })).body.code).toBe(
      'TRELLIS_GATEWAY_API_KEY_INVALID',
    )
    const both = await get('/mine', { ...customer, 'x-api-key': API_KEY })
    expect([both.status, both.body.code]).toEqual([400, 'TRELLIS_GATEWAY_CREDENTIALS_AMBIGUOUS'])
  })

  it('accepts tokens of a new signing key once identity rotates, and those of the old one', async () => {
    const old = await token()
    await rotate()
    const fresh = await token()
    // A made-up kid refreshes the JWKS at most once a second; identity publishes keys before they sign.
    await eventually(
      async () => (await get('/mine', bearer(fresh))).status === 200,
      5_000,
      'new key accepted',
    )
    expect((await get('/mine', bearer(old))).status).toBe(200)
  })

  it('answers 503 when a credential cannot be checked because identity is gone', async () => {
    await registry.deregister('identity', 'identity-1')
    await eventually(() => directory.instances('identity').length === 0, 5_000, 'identity gone')
    try {
      const res = await get('/mine', { 'x-api-key': `trk_${'4'.repeat(32)}_${'D'.repeat(43)}` })
      expect([res.status, res.body.code]).toEqual([503, 'TRELLIS_GATEWAY_AUTH_UNAVAILABLE'])
      // Keys already known keep working, and anonymous traffic is untouched.
      expect((await get('/mine', bearer(await token()))).status).toBe(200)
      expect((await get('/open')).status).toBe(200)
    } finally {
      await registry.register({
        service: 'identity',
        id: 'identity-1',
        host: '127.0.0.1',
        port: identityPort,
        version: '1',
        metadata: { routes: [] },
      })
      await eventually(() => directory.instances('identity').length === 1, 5_000, 'identity back')
    }
  })
})

describe('browser and request hygiene', () => {
  it('answers preflights for allowed origins only, and marks responses for them', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/api/catalog/mine`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'Authorization, X-Evil',
        },
      })
    const ok = await preflight('https://shop.example')
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization')
    expect((await preflight('https://evil.example')).status).toBe(403)
    const res = await get('/open', { origin: 'https://shop.example' })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(
      (await get('/open', { origin: 'https://evil.example' })).headers.get('access-control-allow-origin'),
    ).toBeNull()
  })

  it('adds security headers and hides what the upstream runs on', async () => {
    const res = await get('/open')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(res.headers.get('x-powered-by')).toBeNull()
    expect(res.headers.get('server')).toBeNull()
    expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=/)
  })

  it('refuses duplicated credentials, too many headers and an oversized declared body', async () => {
    const port = Number(new URL(base).port)
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(text))
        let data = ''
        socket.on('data', (d) => (data += d))
        socket.on('close', () => resolve(data))
        socket.on('error', () => resolve(data))
      })
    const dup = await raw(
      'GET /api/catalog/open HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\nConnection: close\r\n\r\n',
    )
    expect(dup).toMatch(/^HTTP\/1.1 400[\s\S]*TRELLIS_GATEWAY_HEADER_DUPLICATED/)
    const many = Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('')
    expect(
      await raw(`GET /api/catalog/open HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n`),
    ).toMatch(/^HTTP\/1.1 431/)
    const big = await raw(
      'POST /api/catalog/admin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n{}',
    )
    expect(big).toMatch(/^HTTP\/1.1 413[\s\S]*TRELLIS_GATEWAY_BODY_TOO_LARGE/)
  })
})

describe('rate limits', () => {
  it('limits one address, with Retry-After', async () => {
    const limited = await gateway({ rateLimitIp: { ratePerS: 1, burst: 5 } })
    const statuses = []
    for (let i = 0; i < 8; i++) statuses.push(await http(`${limited}/api/catalog/open`))
    expect(statuses.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    const refused = statuses.at(-1)!
    expect([refused.status, refused.body.code]).toEqual([429, 'TRELLIS_GATEWAY_RATE_LIMITED'])
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })

  it('limits one client across addresses, and not its neighbours', async () => {
    const limited = await gateway({
      rateLimitIp: { ratePerS: 0, burst: 1 },
      rateLimitClient: { ratePerS: 1, burst: 3 },
    })
    const greedy = bearer(await token({ sub: 'greedy' }))
    const calm = bearer(await token({ sub: 'calm' }))
    const statuses = []
    for (let i = 0; i < 5; i++)
      statuses.push((await http(`${limited}/api/catalog/mine`, { headers: greedy })).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    expect((await http(`${limited}/api/catalog/mine`, { headers: calm })).status).toBe(200)
  })
})

/** An assertion a client could make with a key of its own: well-formed, signed, and worthless. */
async function verifierFreeAssertion(): Promise<string> {
  const pair = await generateKeyPair('ES256')
  return new SignJWT({ knd: 'user', roles: ['admin'] })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer('trellis-edge')
    .setAudience('catalog')
    .setSubject('admin')
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(pair.privateKey)
}
