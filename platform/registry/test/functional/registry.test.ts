import { Agent, get } from 'node:http'
import type { Socket } from 'node:net'
import { createLogger, RegistryClient, ServiceDirectory } from '@trellis/kit/platform'
import { eventually, http } from '@trellis/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createRegistryApp } from '../../src/registry-app.js'

const log = createLogger({ service: 'registry', instance: 'test', level: 'silent' })
const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function start(options: { ttlMs?: number; port?: number } = {}) {
  const { app, table } = createRegistryApp({
    log,
    ttlMs: options.ttlMs ?? 3_000,
    heartbeatIntervalMs: 1_000,
    sweepIntervalMs: 50,
    maxWaitMs: 10_000,
  })
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  closers.push(() => app.close())
  return { app, table, url: `http://127.0.0.1:${port}`, port }
}

/** The value of the series with these labels (and maybe others) in a Prometheus text answer. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

const body = (port: number) => ({ host: '127.0.0.1', port, version: '1.0.0', metadata: { routes: [] } })

describe('registry HTTP API', () => {
  it('registers, heartbeats, lists and deregisters', async () => {
    const { url } = await start()
    const registered = await http(`${url}/v1/services/catalog/instances/catalog-1`, {
      method: 'PUT',
      body: body(4001),
    })
    expect(registered.status).toBe(201)
    expect(registered.body.lease).toEqual({ ttlMs: 3_000, heartbeatIntervalMs: 1_000 })
    expect(
      (await http(`${url}/v1/services/catalog/instances/catalog-1/heartbeat`, { method: 'PUT' })).status,
    ).toBe(200)
    const listed = await http(`${url}/v1/services/catalog`)
    expect(listed.body.instances).toEqual([
      expect.objectContaining({ id: 'catalog-1', url: 'http://127.0.0.1:4001', status: 'UP' }),
    ])
    expect((await http(`${url}/v1/services/catalog/instances/catalog-1`, { method: 'DELETE' })).status).toBe(
      204,
    )
    expect((await http(`${url}/v1/services`)).body.services).toEqual({})
  })

  it('answers 404 problem+json to a heartbeat it does not know', async () => {
    const { url } = await start()
    const res = await http(`${url}/v1/services/catalog/instances/ghost/heartbeat`, { method: 'PUT' })
    expect(res.status).toBe(404)
    expect(res.body.code).toBe('TRELLIS_REGISTRY_INSTANCE_UNKNOWN')
  })

  it('refuses bad registrations with the reason', async () => {
    const { url } = await start()
    const res = await http(`${url}/v1/services/Bad_Name/instances/x`, { method: 'PUT', body: body(70000) })
    expect(res.status).toBe(400)
    expect(res.body.errors.map((e: { in: string }) => e.in)).toContain('params')
  })

  it('drops an instance that stops heartbeating within the lease', async () => {
    const { url } = await start({ ttlMs: 500 })
    await http(`${url}/v1/services/catalog/instances/catalog-1`, { method: 'PUT', body: body(4001) })
    const started = Date.now()
    await eventually(
      async () => (await http(`${url}/v1/services`)).body.services.catalog === undefined,
      3_000,
      'expiry',
    )
    expect(Date.now() - started).toBeLessThan(1_500)
  })

  it('holds a blocking query until the catalogue changes', async () => {
    const { url } = await start()
    const { body: first } = await http(`${url}/v1/services`)
    const started = Date.now()
    const waiting = http(`${url}/v1/services?epoch=${first.epoch}&index=${first.index}&wait=5000`)
    setTimeout(
      () => void http(`${url}/v1/services/catalog/instances/catalog-1`, { method: 'PUT', body: body(4001) }),
      200,
    )
    const { body: next } = await waiting
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(next.index).toBeGreaterThan(first.index)
    expect(next.services.catalog).toHaveLength(1)
  })

  it('answers a blocking query at once when the caller holds another run of the registry, even at the same index', async () => {
    const { url } = await start()
    const { body: current } = await http(`${url}/v1/services`)
    const started = Date.now()
    const res = await http(`${url}/v1/services?epoch=an-earlier-run&index=${current.index}&wait=5000`)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(res.body.epoch).toBe(current.epoch)
    await http(`${url}/v1/services?index=999&wait=5000`)
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('registry metrics and connections', () => {
  it('serves /metrics: leases per service, changes by kind, requests by route', async () => {
    const { url } = await start({ ttlMs: 500 })
    for (const id of ['catalog-1', 'catalog-2'])
      await http(`${url}/v1/services/catalog/instances/${id}`, { method: 'PUT', body: body(4001) })
    await http(`${url}/v1/services/order/instances/order-1`, { method: 'PUT', body: body(4002) })
    await http(`${url}/v1/services/order/instances/order-1`, { method: 'DELETE' })
    await http(`${url}/v1/services`)
    const res = await fetch(`${url}/metrics`)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(sample(text, 'trellis_registry_instances', { registered_service: 'catalog' })).toBe(2)
    expect(sample(text, 'trellis_registry_instances', { registered_service: 'order' })).toBeUndefined()
    expect(sample(text, 'trellis_registry_changes_total', { kind: 'registered' })).toBe(3)
    expect(sample(text, 'trellis_registry_changes_total', { kind: 'deregistered' })).toBe(1)
    expect(
      sample(text, 'trellis_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/services',
        status: '200',
        service: 'registry',
        instance: 'registry-1',
      }),
    ).toBe(1)
    await eventually(
      async () =>
        sample(await (await fetch(`${url}/metrics`)).text(), 'trellis_registry_changes_total', {
          kind: 'expired',
        }) === 2,
      3_000,
      'expired leases counted',
    )
  })

  it('leaves no listener behind on a keep-alive connection, request after request', async () => {
    const { app, url } = await start()
    const sockets = new Set<Socket>()
    app.server.on('connection', (socket) => sockets.add(socket))
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    closers.push(async () => agent.destroy())
    for (let i = 0; i < 30; i++)
      await new Promise<void>((resolve, reject) =>
        get(`${url}/v1/services?index=0&wait=1000`, { agent }, (res) => {
          res.resume().on('end', resolve)
        }).on('error', reject),
      )
    expect(sockets.size).toBe(1)
    const [socket] = sockets
    // A listener per request would be 30 or more (it was: a memory leak on every long-lived connection).
    expect(socket!.listenerCount('close')).toBeLessThan(5)
  })
})

describe('ServiceDirectory against the registry', () => {
  it('follows registrations as they happen', async () => {
    const { url } = await start()
    const directory = new ServiceDirectory(new RegistryClient(url), undefined, 2_000)
    directory.start()
    closers.push(async () => directory.stop())
    await directory.whenSynced()
    await http(`${url}/v1/services/catalog/instances/catalog-1`, { method: 'PUT', body: body(4001) })
    await eventually(() => directory.instances('catalog').length === 1, 2_000, 'directory update')
  })

  it('keeps the instances it knew while a restarted registry warms up', async () => {
    const first = await start()
    await http(`${first.url}/v1/services/catalog/instances/catalog-1`, { method: 'PUT', body: body(4001) })
    const directory = new ServiceDirectory(new RegistryClient(first.url), undefined, 2_000)
    directory.start()
    closers.push(async () => directory.stop())
    await eventually(() => directory.instances('catalog').length === 1, 2_000, 'first sync')
    await first.app.close()
    const second = await start({ port: first.port, ttlMs: 1_500 })
    await eventually(() => directory.epoch === second.table.epoch, 5_000, 'sync with the new registry')
    expect(directory.instances('catalog').map((i) => i.id)).toEqual(['catalog-1'])
    // Nobody re-registered: once the warm-up ends, the instance is dropped.
    await eventually(() => directory.instances('catalog').length === 0, 5_000, 'warm-up end')
  })
})
