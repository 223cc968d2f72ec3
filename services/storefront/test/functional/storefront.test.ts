// The storefront end to end over HTTP against stubbed dependencies: small
// servers that answer like catalog and inventory and can be made slow,
// failing or dead. No registry: the kit client reads fixed URLs.
import { createServer, type Server } from 'node:http'
import { http, startTestService, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { storefront } from '../../src/service.js'

const PRODUCT = {
  id: '96f5700c-d520-5782-bb02-377f18d39642',
  merchantId: 'afd7445b-c8c2-57f1-afb7-fddf4d9afacb',
  name: 'Organic Cotton T-Shirt',
  description: 'Heavyweight tee.',
  category: 'apparel',
  status: 'active',
  options: [{ name: 'Size', values: ['S', 'M'] }],
  skus: [
    { sku: 'TEE-S', options: { Size: 'S' }, priceCents: 2400, currency: 'USD' },
    { sku: 'TEE-M', options: { Size: 'M' }, priceCents: 2400, currency: 'USD' },
  ],
  version: 1,
}
const STOCK: Record<string, { sku: string; available: number; lowStock: boolean }> = {
  'TEE-S': { sku: 'TEE-S', available: 3, lowStock: true },
  'TEE-M': { sku: 'TEE-M', available: 0, lowStock: true },
}

type Mode = 'ok' | 'slow' | 'fail' | 'dead'
interface Stub {
  url: string
  mode: Mode
  hits: number
  close(): Promise<void>
}

async function stub(answer: (url: string) => { status: number; body: unknown }): Promise<Stub> {
  const state = { mode: 'ok' as Mode, hits: 0 }
  const server: Server = createServer((req, res) => {
    state.hits += 1
    if (state.mode === 'dead') return req.socket.destroy()
    const send = () => {
      const { status, body } =
        state.mode === 'fail' ? { status: 500, body: { code: 'TRELLIS_INTERNAL' } } : answer(req.url ?? '/')
      res.writeHead(status, {
        'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
      })
      res.end(JSON.stringify(body))
    }
    if (state.mode === 'slow') setTimeout(send, 2_000)
    else send()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

let catalog: Stub
let inventory: Stub
let service: TestService

beforeAll(async () => {
  catalog = await stub((url) => {
    if (url === `/products/${PRODUCT.id}`) return { status: 200, body: PRODUCT }
    if (url === '/skus/TEE-S')
      return {
        status: 200,
        body: { ...PRODUCT.skus[0], productId: PRODUCT.id, productName: PRODUCT.name, status: 'active' },
      }
    return { status: 404, body: { code: 'TRELLIS_CATALOG_PRODUCT_NOT_FOUND', status: 404, detail: 'no' } }
  })
  inventory = await stub((url) => {
    const level = STOCK[url.replace('/availability/', '')]
    return level
      ? { status: 200, body: level }
      : { status: 404, body: { code: 'TRELLIS_INVENTORY_SKU_NOT_FOUND', status: 404 } }
  })
  service = await startTestService(storefront, {
    postgresUrl: inject('postgresUrl'),
    env: {
      TRELLIS_CALL_CATALOG_URLS: catalog.url,
      TRELLIS_CALL_INVENTORY_URLS: inventory.url,
      // One failed attempt opens the inventory circuit, so the test can see it.
      TRELLIS_CALL_INVENTORY_BREAKER_FAILURES: '2',
      TRELLIS_CALL_INVENTORY_BREAKER_HALF_OPEN_AFTER_MS: '300',
      TRELLIS_CALL_INVENTORY_EJECT_AFTER_FAILURES: '0',
    },
  })
})
afterAll(async () => {
  await service?.stop()
  await catalog?.close()
  await inventory?.close()
})

const page = () => http(`${service.url}/products/${PRODUCT.id}`)

describe('storefront product page', () => {
  it('composes the product with the availability of each SKU', async () => {
    const res = await page()
    expect(res.status).toBe(200)
    expect(res.headers.get('x-trellis-degraded')).toBeNull()
    expect(res.body).toMatchObject({
      product: { id: PRODUCT.id, name: PRODUCT.name },
      availability: 'in-stock',
      degraded: [],
      skus: [
        { sku: 'TEE-S', priceCents: 2400, availability: 'low-stock', available: 3 },
        { sku: 'TEE-M', availability: 'out-of-stock', available: 0 },
      ],
    })
  })

  it('answers 404 for a product the catalog does not know', async () => {
    const res = await http(`${service.url}/products/00000000-0000-4000-8000-000000000000`)
    expect(res.status).toBe(404)
    expect(res.body.code).toBe('TRELLIS_STOREFRONT_PRODUCT_NOT_FOUND')
  })

  for (const mode of ['slow', 'dead', 'fail'] as const) {
    it(`still answers 200 with availability unknown when inventory is ${mode}`, async () => {
      inventory.mode = mode
      try {
        const res = await page()
        expect(res.status).toBe(200)
        expect(res.headers.get('x-trellis-degraded')).toBe('availability')
        expect(res.headers.get('cache-control')).toBe('no-store')
        expect(res.body).toMatchObject({
          availability: 'unknown',
          degraded: ['availability'],
          skus: [
            { sku: 'TEE-S', availability: 'unknown', available: null },
            { sku: 'TEE-M', availability: 'unknown', available: null },
          ],
        })
      } finally {
        inventory.mode = 'ok'
      }
    })
  }

  it('stops calling a failing inventory (open circuit), and comes back when it recovers', async () => {
    inventory.mode = 'fail'
    await page()
    const hits = inventory.hits
    const res = await page()
    expect(res.body.availability).toBe('unknown')
    expect(inventory.hits).toBe(hits)
    const metrics = await http(`${service.url}/metrics`)
    expect(metrics.body).toMatch(/trellis_client_breaker_state\{[^}]*dependency="inventory"[^}]*\} 1/)
    inventory.mode = 'ok'
    const recovered = await eventuallyPage((body) => body.availability === 'in-stock')
    expect(recovered.degraded).toEqual([])
    expect(service.logs.some((l) => l.includes('circuit to inventory opened'))).toBe(true)
  })

  it('answers a clear 503 problem when the catalog is dead', async () => {
    catalog.mode = 'dead'
    try {
      const res = await page()
      expect(res.status).toBe(503)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.headers.get('retry-after')).toBe('1')
      expect(res.body).toMatchObject({ code: 'TRELLIS_STOREFRONT_CATALOG_UNAVAILABLE', retryable: true })
    } finally {
      catalog.mode = 'ok'
    }
  })

  it('serves a SKU with its availability', async () => {
    inventory.mode = 'ok'
    catalog.mode = 'ok'
    const res = await http(`${service.url}/skus/TEE-S`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      sku: 'TEE-S',
      productName: PRODUCT.name,
      availability: 'low-stock',
      degraded: [],
    })
    const unknown = await http(`${service.url}/skus/NOPE-1`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('TRELLIS_STOREFRONT_SKU_NOT_FOUND')
  })
})

// biome-ignore lint/suspicious/noExplicitAny: a page read loosely
async function eventuallyPage(done: (body: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await page()
    if (done(res.body)) return res.body
    if (Date.now() > deadline) throw new Error(`page never became complete: ${JSON.stringify(res.body)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
