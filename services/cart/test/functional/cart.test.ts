import { createServer, type Server } from 'node:http'
import { http, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cart } from '../../src/service.js'

// The cart with its real database; catalog and order are stubs. The order
// stub records each checkout it receives and answers one order per key.
async function stub(
  answer: (method: string, url: string, body: string) => { status: number; body: unknown },
) {
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const out = answer(req.method ?? 'GET', req.url ?? '/', body)
      res.writeHead(out.status, {
        'content-type': out.status >= 400 ? 'application/problem+json' : 'application/json',
      })
      res.end(JSON.stringify(out.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const PRICES: Record<string, number> = { 'TEE-1': 1500, 'MUG-1': 900 }
const checkouts: Array<{ customerId: string; idempotencyKey: string; order: { items: unknown[] } }> = []
let catalog: Awaited<ReturnType<typeof stub>>
let order: Awaited<ReturnType<typeof stub>>
let service: TestService
let customer: Record<string, string>
let other: Record<string, string>

beforeAll(async () => {
  catalog = await stub((_m, url) => {
    const sku = url.replace('/skus/', '')
    return PRICES[sku]
      ? {
          status: 200,
          body: {
            sku,
            productName: `Product ${sku}`,
            priceCents: PRICES[sku],
            currency: 'USD',
            status: 'active',
          },
        }
      : { status: 404, body: { code: 'TRELLIS_CATALOG_SKU_NOT_FOUND', status: 404 } }
  })
  order = await stub((_m, _url, body) => {
    const request = JSON.parse(body)
    checkouts.push(request)
    return { status: 202, body: { id: `order-for-${request.idempotencyKey}`, status: 'PENDING' } }
  })
  service = await startTestService(cart, {
    postgresUrl: inject('postgresUrl'),
    env: { TRELLIS_CALL_CATALOG_URLS: catalog.url, TRELLIS_CALL_ORDER_URLS: order.url },
  })
  customer = await service.as(TEST_IDENTITIES.customer)
  other = await service.as({ ...TEST_IDENTITIES.customer, subject: 'another-customer' })
})
afterAll(async () => {
  await service?.stop()
  await catalog?.close()
  await order?.close()
})

const put = (sku: string, quantity: number, headers = customer) =>
  http(`${service.url}/cart/items/${sku}`, { method: 'PUT', headers, body: { quantity } })

describe('cart', () => {
  it('adds, changes and removes lines, showing current prices and the total', async () => {
    await put('TEE-1', 2)
    const withMug = await put('MUG-1', 1)
    expect(withMug.body).toMatchObject({ totalCents: 3900, currency: 'USD' })
    expect((await put('TEE-1', 3)).body.totalCents).toBe(5400)
    PRICES['MUG-1'] = 1000 // the catalog's price changed: the cart shows the new one
    expect((await http(`${service.url}/cart`, { headers: customer })).body.totalCents).toBe(5500)
    const removed = await http(`${service.url}/cart/items/MUG-1`, { method: 'DELETE', headers: customer })
    expect(removed.body.items.map((i: { sku: string }) => i.sku)).toEqual(['TEE-1'])
    expect((await put('TEE-1', 0)).body.items).toEqual([])
  })

  it('refuses unknown SKUs and bad quantities; another customer sees their own cart', async () => {
    expect((await put('NOPE-1', 1)).body.code).toBe('TRELLIS_CART_UNKNOWN_SKU')
    expect((await put('TEE-1', 101)).status).toBe(400)
    expect(
      (await http(`${service.url}/cart/items/MUG-1`, { method: 'DELETE', headers: customer })).status,
    ).toBe(404)
    await put('TEE-1', 1, other)
    expect((await http(`${service.url}/cart`, { headers: customer })).body.items).toEqual([])
    expect((await http(`${service.url}/cart`)).status).toBe(401)
  })

  it('checks out once per key into one order, and empties the cart', async () => {
    await put('TEE-1', 2)
    const checkout = (key?: string) =>
      http(`${service.url}/cart/checkout`, {
        headers: { ...customer, ...(key ? { 'idempotency-key': key } : {}) },
        body: { shipping: { country: 'US', option: 'standard' } },
      })
    expect((await checkout()).body.code).toBe('TRELLIS_CART_IDEMPOTENCY_KEY_REQUIRED')
    const first = await checkout('c-1')
    expect(first.status).toBe(202)
    expect(first.body.orderId).toBe('order-for-cart:c-1')
    expect(checkouts.at(-1)).toMatchObject({
      customerId: 'test-customer',
      order: { items: [{ sku: 'TEE-1', quantity: 2 }] },
    })
    const again = await checkout('c-1')
    expect(again.body.orderId).toBe(first.body.orderId)
    expect(checkouts).toHaveLength(1)
    expect((await http(`${service.url}/cart`, { headers: customer })).body.items).toEqual([])
    expect((await checkout('c-2')).body.code).toBe('TRELLIS_CART_EMPTY')
  })
})
