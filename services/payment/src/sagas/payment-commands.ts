import { type SagaCommands, SagaRefusal } from '@trellis/kit'
import { authorizeOutcome, type ProviderKnobs } from '../domain/provider.js'
import { PaymentStore } from '../store/payment-store.js'

interface PaymentPayload {
  orderId: string
  customerId?: string
  amountCents: number
  currency?: string
  token?: string
}

/**
 * Payment's part in the place-order saga. The provider's latency and its
 * failures (declines, answers that never come) are settings, read at each
 * call, so that a running system can be made to fail.
 */
export function paymentCommands(knobs: () => ProviderKnobs & { latencyMs: number }): SagaCommands {
  const latency = async () => {
    const { latencyMs } = knobs()
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))
  }
  return {
    'authorize-payment': async (p: PaymentPayload, { tx, withholdReply }) => {
      await latency()
      const outcome = authorizeOutcome(p.token, knobs())
      const { payment } = await new PaymentStore(tx).authorize({
        orderId: p.orderId,
        customerId: p.customerId ?? null,
        amountCents: p.amountCents,
        currency: p.currency ?? 'USD',
        declineReason: outcome === 'declined' ? 'card declined by the issuer' : null,
      })
      if (payment.status === 'declined')
        throw new SagaRefusal(`payment declined: ${payment.declineReason}`, 'declined', { keepWrites: true })
      // The provider authorized, but its answer is lost: the saga's timeout must void it.
      if (outcome === 'lost') withholdReply()
      return { paymentId: payment.id, status: payment.status }
    },
    'capture-payment': async ({ orderId }: PaymentPayload, { tx }) => {
      await latency()
      const payment = await new PaymentStore(tx).capture(orderId).catch((error) => {
        throw new SagaRefusal(error instanceof Error ? error.message : String(error), 'capture-failed')
      })
      return { paymentId: payment.id, status: payment.status }
    },
    // Undoes authorize-payment and capture-payment: void, or refund what was captured.
    'cancel-payment': async ({ orderId }: PaymentPayload, { tx }) => {
      const payment = await new PaymentStore(tx).cancel(orderId)
      return { status: payment?.status ?? 'none' }
    },
  }
}
