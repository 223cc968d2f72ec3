import { Type } from '@sinclair/typebox'
import { defineSettings, setting } from '../config/settings.js'

/**
 * Messaging settings every service reads (`TRELLIS_MESSAGING_*`); the
 * control loop sets the transport and its URL from trellis.yaml.
 */
export const MessagingSettings = defineSettings({
  transport: setting(
    Type.Union([Type.Literal('postgres'), Type.Literal('rabbitmq'), Type.Literal('nats')]),
    'postgres',
    'Which transport carries events between services.',
  ),
  brokerUrl: setting(
    Type.String(),
    '',
    "The transport's URL (postgres://…, amqp://…, nats://…); empty keeps events in the outbox and consumes nothing.",
    { env: 'TRELLIS_BROKER_URL', secret: true },
  ),
  relay: setting(
    Type.Boolean(),
    true,
    'Run the outbox relay in this instance (every replica may; they share the work).',
  ),
  relayBatch: setting(
    Type.Integer({ minimum: 1, maximum: 1_000 }),
    100,
    'Outbox rows published per transaction.',
  ),
  // Notifications make the relay and the Postgres transport react in milliseconds; polling only catches what a reconnect missed.
  pollMs: setting(Type.Integer({ minimum: 50, maximum: 60_000 }), 1_000, 'Fallback poll interval.'),
  maxAttempts: setting(
    Type.Integer({ minimum: 1, maximum: 100 }),
    5,
    'Tries of a failing handler before its message becomes a dead letter.',
  ),
  // A crash loop must end: a message whose handler kills the process is buried after this many deliveries.
  maxDeliveries: setting(
    Type.Integer({ minimum: 1, maximum: 1_000 }),
    10,
    'Deliveries without an acknowledgement before a message becomes a dead letter.',
  ),
  // 100 ms, 200 ms, 400 ms, 800 ms: a blip heals within the tries; a real bug reaches the dead letters in about 1.5 s.
  retryBaseMs: setting(
    Type.Integer({ minimum: 1, maximum: 60_000 }),
    100,
    'First retry delay; doubles per try.',
  ),
  retryMaxMs: setting(Type.Integer({ minimum: 1, maximum: 600_000 }), 5_000, 'Longest retry delay.'),
  // A consumer's transaction takes milliseconds: enough messages in hand that the next batch fills while one commits.
  prefetch: setting(
    Type.Integer({ minimum: 1, maximum: 1_000 }),
    64,
    'Messages an instance holds unacknowledged at once.',
  ),
  consumerBatch: setting(
    Type.Integer({ minimum: 1, maximum: 1_000 }),
    32,
    'Ready messages (of different keys) handled in one transaction at most; 1 gives each its own.',
  ),
  // Long enough for a slow handler, short enough that a dead consumer's messages move on soon. Extended while a handler runs.
  leaseMs: setting(
    Type.Integer({ minimum: 500, maximum: 600_000 }),
    15_000,
    'Postgres transport: how long a delivery stays claimed by a consumer that stops answering.',
  ),
  outboxRetentionHours: setting(
    Type.Integer({ minimum: 0, maximum: 24 * 90 }),
    24,
    'How long sent outbox rows are kept for inspection.',
  ),
  // Redeliveries come within minutes; a week is far beyond any broker's redelivery.
  inboxRetentionHours: setting(
    Type.Integer({ minimum: 1, maximum: 24 * 365 }),
    24 * 7,
    'How long handled message ids are remembered.',
  ),
})
