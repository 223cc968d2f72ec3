import { defineService, defineSettings, setting, Type } from '@trellis/kit'
import { paymentRoutes } from './http/payment-routes.js'
import { paymentCommands } from './sagas/payment-commands.js'

const Rate = Type.Number({ minimum: 0, maximum: 1 })

export const PaymentSettings = defineSettings({
  declineRate: setting(Rate, 0, 'Share of authorizations the simulated provider declines (0 to 1).'),
  timeoutRate: setting(
    Rate,
    0,
    'Share of authorizations whose answer never comes back (the saga times out and voids them).',
  ),
  latencyMs: setting(
    Type.Integer({ minimum: 0, maximum: 60_000 }),
    0,
    'Time the simulated provider takes for each authorization and capture.',
  ),
  testTokens: setting(
    Type.Boolean(),
    true,
    'Honour test tokens (tok_decline, tok_timeout, tok_ok) that provoke an outcome; always off when TRELLIS_ENV=production.',
  ),
})

const production = () => process.env['TRELLIS_ENV'] === 'production'

export const payment = defineService({
  name: 'payment',
  version: '0.1.0',
  description:
    'A simulated payment provider: authorize, capture, refund; declines, latency and lost answers on demand.',
  settings: PaymentSettings,
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: ({ db, settings }) =>
    paymentRoutes(db, () => ({ ...settings, testTokens: settings.testTokens && !production() })),
  commands: ({ settings }) =>
    paymentCommands(() => ({ ...settings, testTokens: settings.testTokens && !production() })),
})
