import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineRoute, defineService, Type } from '@trellis/kit'
import { createLogger } from '@trellis/kit/platform'
import { createRegistryApp } from '@trellis/registry'
import { createTestDatabase, eventually, http, startTestService } from '@trellis/testing'
import { afterEach, describe, expect, inject, it } from 'vitest'

const silent = createLogger({ service: 'registry', instance: 'test', level: 'silent' })
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startRegistry(port = 0, heartbeatIntervalMs = 200) {
  const { app, table } = createRegistryApp({
    log: silent,
    ttlMs: 1_000,
    heartbeatIntervalMs,
    sweepIntervalMs: 50,
    maxWaitMs: 5_000,
  })
  await app.listen({ host: '127.0.0.1', port })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`
  return { app, table, url, port: Number(new URL(url).port) }
}

function slowService(migrations?: string) {
  return defineService({
    name: 'slowpoke',
    ...(migrations ? { database: { migrations } } : {}),
    routes: () => [
      defineRoute({
        method: 'GET',
        url: '/slow',
        summary: 'answers after 600 ms',
        auth: 'public',
        schema: { response: { 200: Type.Object({ done: Type.Boolean() }) } },
        handler: async () => {
          await new Promise((r) => setTimeout(r, 600))
          return { done: true }
        },
      }),
    ],
  })
}

describe('kit lifecycle', () => {
  it('registers when it listens, deregisters before draining, and lets in-flight requests finish', async () => {
    const registry = await startRegistry()
    cleanups.push(() => registry.app.close())
    const service = await startTestService(slowService(), {
      env: { TRELLIS_REGISTRY_URL: registry.url, TRELLIS_DEREGISTER_DELAY_MS: '100' },
    })
    await eventually(() => registry.table.instances('slowpoke').length === 1, 5_000, 'registration')
    expect(registry.table.instances('slowpoke')[0]).toMatchObject({
      port: service.port,
      metadata: {
        routes: expect.arrayContaining([{ method: 'GET', url: '/slow', access: 'public', auth: 'public' }]),
      },
    })

    const inFlight = http(`${service.url}/slow`)
    await new Promise((r) => setTimeout(r, 100))
    const stopping = service.stop('test')
    await eventually(() => registry.table.instances('slowpoke').length === 0, 2_000, 'deregistration')
    expect((await inFlight).body).toEqual({ done: true })
    await stopping
    // The keep-alive connection that carried the request did not hold the close until the drain bound.
    expect(service.logs.some((l) => l.includes('did not finish in time'))).toBe(false)
    await expect(fetch(`${service.url}/slow`)).rejects.toThrow()
  })

  it('closes connections that never sent a request once nothing is in flight', async () => {
    const service = await startTestService(slowService(), { env: { TRELLIS_DRAIN_TIMEOUT_MS: '20000' } })
    // A client's pre-opened keep-alive socket: connected, silent.
    const socket = connect(service.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const inFlight = http(`${service.url}/slow`)
    await new Promise((r) => setTimeout(r, 100))
    await service.stop('test')
    await closed
    expect((await inFlight).body).toEqual({ done: true })
    expect(service.logs.some((l) => l.includes('did not finish in time'))).toBe(false)
  })

  it('registers again by itself when the registry restarts and forgets it', async () => {
    const first = await startRegistry()
    const service = await startTestService(slowService(), { env: { TRELLIS_REGISTRY_URL: first.url } })
    cleanups.push(() => service.stop())
    await eventually(() => first.table.instances('slowpoke').length === 1, 5_000, 'registration')
    await first.app.close()
    const second = await startRegistry(first.port)
    cleanups.push(() => second.app.close())
    await eventually(() => second.table.instances('slowpoke').length === 1, 5_000, 're-registration')
    expect(service.logs.some((l) => l.includes('registering again') || l.includes('registered again'))).toBe(
      true,
    )
  })

  it('is not ready until registered', async () => {
    const service = await startTestService(slowService(), {
      env: { TRELLIS_REGISTRY_URL: 'http://127.0.0.1:9' },
    })
    cleanups.push(() => service.stop())
    const ready = await http(`${service.url}/health/ready`)
    expect(ready.status).toBe(503)
    expect(ready.body.checks.registry).toMatchObject({ ok: false })
    expect((await http(`${service.url}/health/live`)).status).toBe(200)
  })

  it('refuses to start when an applied migration was edited, and says what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-mig-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'V1__init.sql'), 'CREATE TABLE notes (id int PRIMARY KEY);')
    const databaseUrl = await createTestDatabase(inject('postgresUrl'), 'edited')
    const first = await startTestService(slowService(dir), { databaseUrl })
    await first.stop()
    await writeFile(join(dir, 'V1__init.sql'), 'CREATE TABLE notes (id bigint PRIMARY KEY);')
    await expect(startTestService(slowService(dir), { databaseUrl })).rejects.toThrow(
      /V1__init.sql was edited after it was applied .* add a new migration instead/,
    )
  })

  it('applies each migration once when replicas start together', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-mig-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(
      join(dir, 'V1__init.sql'),
      'CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);',
    )
    await writeFile(join(dir, 'V2__more.sql'), 'UPDATE counter SET n = n + 1;')
    const databaseUrl = await createTestDatabase(inject('postgresUrl'), 'replicas')
    const replicas = await Promise.all(
      [1, 2, 3].map(() => startTestService(slowService(dir), { databaseUrl })),
    )
    const { rows } = await replicas[0]!.context.db.query<{ n: number }>('SELECT n FROM counter')
    expect(rows).toEqual([{ n: 2 }])
    await Promise.all(replicas.map((r) => r.stop()))
  })
})
