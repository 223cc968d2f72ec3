import { eventually, http, startTestSystem, type TestSystem } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

// The storefront (a BFF calling catalog and inventory through the kit's
// client) while inventory replicas die and come back, through the gateway.
// Killed replicas stay down until the test restarts them (long restart
// backoff), so each step sees the state it set up.
let system: TestSystem
const PRODUCT = '96f5700c-d520-5782-bb02-377f18d39642' // seeded: the T-shirt, nine SKUs

beforeAll(async () => {
  system = await startTestSystem({
    postgresUrl: inject('postgresUrl'),
    databasePrefix: `resilience_${process.pid}_`,
    policy: { backoffBaseMs: 600_000, backoffMaxMs: 600_000 },
    env: {
      // Generous on a shared 2-core machine: the first step must fail no request, not even to a slow answer.
      TRELLIS_CALL_INVENTORY_TIMEOUT_MS: '3000',
      TRELLIS_CALL_INVENTORY_BREAKER_HALF_OPEN_AFTER_MS: '500',
    },
  })
  await system.waitReady(90_000)
})
afterAll(() => system?.stop())

const instance = (key: string) => system.status().instances.find((i) => i.key === key)!
const page = () => http(`${system.urls.gateway}/api/storefront/products/${PRODUCT}`)

async function metrics(): Promise<string> {
  return (await http(`http://127.0.0.1:${instance('storefront-1').port}/metrics`)).body as string
}

/** Attempts the storefront sent to one inventory instance, by outcome. */
function attempts(text: string, id: string): { ok: number; failed: number } {
  const read = (outcome: string) =>
    Number(
      text.match(
        new RegExp(
          `trellis_client_attempts_total\\{[^}]*dependency="inventory",upstream="${id}",outcome="${outcome}"[^}]*\\} (\\d+)`,
        ),
      )?.[1] ?? 0,
    )
  return { ok: read('ok'), failed: read('failed') }
}

describe('resilient calls, storefront → inventory', () => {
  it('serves full pages through the gateway', async () => {
    const res = await eventually(
      async () => {
        const r = await page()
        return r.status === 200 && r.body.degraded.length === 0 ? r : undefined
      },
      30_000,
      'a complete page',
    )
    expect(res.body.skus).toHaveLength(9)
    expect(res.body.availability).toMatch(/in-stock|out-of-stock/)
  })

  it('fails no request when an inventory replica is killed -9 mid-stream, and stops sending to it', async () => {
    const victim = instance('inventory-1')
    const results: Array<{ status: number; degraded: string[] }> = []
    let killedAt = -1
    const worker = async () => {
      for (let i = 0; i < 30; i++) {
        const res = await page()
        results.push({ status: res.status, degraded: res.body?.degraded ?? ['?'] })
        if (results.length === 20 && killedAt < 0) {
          killedAt = results.length
          process.kill(victim.pid!, 'SIGKILL')
        }
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    expect(killedAt).toBeGreaterThan(0)
    expect(results.filter((r) => r.status !== 200 || r.degraded.length > 0)).toEqual([])
    await eventually(() => instance('inventory-1').phase !== 'running', 10_000, 'inventory-1 seen dead')

    // After its first failures, the dead replica gets nothing more.
    const before = attempts(await metrics(), 'inventory-1')
    expect(before.ok).toBeGreaterThan(0)
    for (let i = 0; i < 10; i++) expect((await page()).body.degraded).toEqual([])
    const after = attempts(await metrics(), 'inventory-1')
    expect(after).toEqual(before)
    expect(after.failed).toBeLessThanOrEqual(40)
  })

  it('answers degraded pages (200, availability unknown) when every inventory replica is dead, and opens the circuit', async () => {
    process.kill(instance('inventory-2').pid!, 'SIGKILL')
    await eventually(() => instance('inventory-2').phase !== 'running', 10_000, 'inventory-2 seen dead')
    for (let i = 0; i < 8; i++) {
      const res = await page()
      expect(res.status).toBe(200)
      expect(res.headers.get('x-trellis-degraded')).toBe('availability')
      expect(res.body).toMatchObject({ availability: 'unknown', degraded: ['availability'] })
    }
    await eventually(
      async () => /trellis_client_breaker_state\{[^}]*dependency="inventory"[^}]*\} 1/.test(await metrics()),
      10_000,
      'the inventory circuit open',
    )
    await eventually(
      () =>
        system.logs.some((l) => l.startsWith('storefront-1') && l.includes('circuit to inventory opened')),
      5_000,
      'the circuit opening in the log',
    )
  })

  it('closes the circuit and serves full pages again when inventory comes back', async () => {
    await system.restart('inventory-1')
    await system.restart('inventory-2')
    await system.waitReady(60_000)
    const res = await eventually(
      async () => {
        const r = await page()
        return r.status === 200 && r.body.degraded.length === 0 ? r : undefined
      },
      30_000,
      'a complete page again',
    )
    expect(res.body.availability).not.toBe('unknown')
    expect(await metrics()).toMatch(/trellis_client_breaker_state\{[^}]*dependency="inventory"[^}]*\} 0/)
    await eventually(
      () =>
        system.logs.some((l) => l.startsWith('storefront-1') && l.includes('circuit to inventory closed')),
      5_000,
      'the circuit closing in the log',
    )
  })

  it('answers 503 problem+json when the catalog is dead', async () => {
    for (const key of ['catalog-1', 'catalog-2']) process.kill(instance(key).pid!, 'SIGKILL')
    await eventually(
      () => ['catalog-1', 'catalog-2'].every((k) => instance(k).phase !== 'running'),
      10_000,
      'catalog dead',
    )
    const res = await page()
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.body).toMatchObject({ code: 'TRELLIS_STOREFRONT_CATALOG_UNAVAILABLE', retryable: true })
  })
})
