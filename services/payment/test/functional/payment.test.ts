import { http, startTestService, TEST_IDENTITIES, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { payment } from '../../src/service.js'

let service: TestService
let admin: Record<string, string>

beforeAll(async () => {
  service = await startTestService(payment, { postgresUrl: inject('postgresUrl') })
  admin = await service.as(TEST_IDENTITIES.admin)
})
afterAll(() => service?.stop())

const authorize = (orderId: string, extra: Record<string, unknown> = {}, key?: string) =>
  http(`${service.url}/payments`, {
    headers: key ? { 'idempotency-key': key } : {},
    body: { orderId, amountCents: 4200, ...extra },
  })

describe('payment (simulated provider)', () => {
  it('authorizes, captures once, and refunds once, whatever is repeated', async () => {
    const first = await authorize('order-1', {}, 'k-1')
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ status: 'authorized', amountCents: 4200 })
    const replay = await authorize('order-1', {}, 'k-1')
    expect(replay.body.id).toBe(first.body.id)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    // Another key for the same order still finds the order's one payment.
    expect((await authorize('order-1', {}, 'k-2')).body.id).toBe(first.body.id)
    for (let i = 0; i < 3; i++) {
      const captured = await http(`${service.url}/payments/by-order/order-1/capture`, { body: {} })
      expect(captured.body).toMatchObject({ status: 'captured', captureCount: 1 })
    }
    for (let i = 0; i < 2; i++) {
      const refunded = await http(`${service.url}/payments/by-order/order-1/refund`, { body: {} })
      expect(refunded.body).toMatchObject({ status: 'refunded', captureCount: 1, refundCount: 1 })
    }
    const read = await http(`${service.url}/payments?orderId=order-1`, { headers: admin })
    expect(read.body.items).toHaveLength(1)
  })

  it('voids an authorization that was never captured, and cannot capture it afterwards', async () => {
    await authorize('order-2')
    expect((await http(`${service.url}/payments/by-order/order-2/refund`, { body: {} })).body.status).toBe(
      'voided',
    )
    const capture = await http(`${service.url}/payments/by-order/order-2/capture`, { body: {} })
    expect(capture.status).toBe(409)
    expect(capture.body.code).toBe('TRELLIS_PAYMENT_INVALID_STATE')
  })

  it('declines on a test token and at the configured rate', async () => {
    const declined = await authorize('order-3', { token: 'tok_decline' })
    expect(declined.status).toBe(402)
    expect(declined.body.code).toBe('TRELLIS_PAYMENT_DECLINED')
    service.context.settings['declineRate'] = 1
    try {
      expect((await authorize('order-4')).status).toBe(402)
      expect((await authorize('order-5', { token: 'tok_ok' })).status).toBe(201)
    } finally {
      service.context.settings['declineRate'] = 0
    }
  })

  it('refuses test tokens when they are turned off, and reads only for admins', async () => {
    service.context.settings['testTokens'] = false
    try {
      const refused = await authorize('order-6', { token: 'tok_timeout' })
      expect(refused.status).toBe(400)
      expect(refused.body.code).toBe('TRELLIS_PAYMENT_TEST_TOKEN_REFUSED')
    } finally {
      service.context.settings['testTokens'] = true
    }
    const customer = await service.as(TEST_IDENTITIES.customer)
    expect((await http(`${service.url}/payments?orderId=order-1`, { headers: customer })).status).toBe(403)
    expect((await authorize('order-7', { amountCents: -1 })).status).toBe(400)
  })
})
