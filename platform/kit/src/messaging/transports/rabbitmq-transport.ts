import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib'
import type { Envelope } from '../envelope.js'
import { MessagingErrors } from '../messaging-errors.js'
import { compilePattern } from '../pattern.js'
import type { Delivery, Subscription, SubscriptionSpec, Transport } from '../transport.js'
import type { TransportOptions } from './create-transport.js'

const EXCHANGE = 'trellis.events'
const DEAD_EXCHANGE = 'trellis.dead-letters'

const DEFAULTS = {
  // A backstop above the kit's own limit (TRELLIS_MESSAGING_MAX_DELIVERIES): past it the queue
  // dead-letters the message to `trellis.<group>.dead`, which the kit drains into its dead letters.
  deliveryLimit: 100,
  confirmTimeoutMs: 5_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
}

/**
 * Messaging over RabbitMQ (amqplib): events go to the topic exchange
 * `trellis.events` with the event type as routing key, persistent, on a
 * confirm channel (a publish resolves when the broker has them). Each
 * consumer group has one durable quorum queue `trellis.<group>` bound with
 * its patterns; its replicas consume it with manual acks and a prefetch.
 * The queue's dead-letter exchange takes messages past the delivery limit
 * to `trellis.<group>.dead`. The connection recovers by itself and sets
 * channels, topology and consumers up again.
 */
export class RabbitMqTransport implements Transport {
  readonly kind = 'rabbitmq' as const
  private model: Awaited<ReturnType<typeof connectRecovering>> | undefined
  private publisher: ConfirmChannel | undefined
  private current: ChannelModel | undefined
  private readonly subscriptions = new Set<RabbitSubscription>()
  private publishing: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(private readonly options: TransportOptions) {}

  async start(): Promise<void> {
    this.model = await connectRecovering(this.options, (model) => this.onConnect(model))
    this.model.on('disconnect', (error: Error) => {
      this.publisher = undefined
      this.current = undefined
      if (!this.closed)
        this.options.log.warn({ reason: error?.message }, 'rabbitmq connection lost; reconnecting')
    })
    this.model.on('error', () => undefined)
  }

  private async onConnect(model: ChannelModel): Promise<void> {
    model.on('error', () => undefined)
    this.current = model
    const channel = await model.createConfirmChannel()
    channel.on('error', () => undefined)
    channel.on('close', () => {
      if (this.publisher === channel) this.publisher = undefined
    })
    await declareExchanges(channel)
    for (const subscription of this.subscriptions) await subscription.setUp(model)
    this.publisher = channel
    this.options.log.info('rabbitmq connected')
  }

  connected(): boolean {
    return this.publisher !== undefined
  }

  /** One batch at a time, in order, on one channel: a key's events reach the queue in publish order. */
  publish(envelopes: Envelope[]): Promise<void> {
    const run = this.publishing.then(() => this.publishNow(envelopes))
    this.publishing = run.catch(() => undefined)
    return run
  }

  private async publishNow(envelopes: Envelope[]): Promise<void> {
    const channel = this.publisher
    if (!channel) throw MessagingErrors.transportUnavailable('rabbitmq', 'not connected')
    try {
      for (const e of envelopes) {
        channel.publish(EXCHANGE, e.type, Buffer.from(JSON.stringify(e)), {
          persistent: true,
          messageId: e.id,
          type: e.type,
          contentType: 'application/json',
          timestamp: Math.floor(Date.now() / 1000),
        })
      }
      await withTimeout(channel.waitForConfirms(), DEFAULTS.confirmTimeoutMs, 'publisher confirms')
    } catch (error) {
      throw MessagingErrors.transportUnavailable('rabbitmq', (error as Error).message)
    }
  }

  async subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => void): Promise<Subscription> {
    const subscription = new RabbitSubscription(spec, deliver)
    this.subscriptions.add(subscription)
    // Connected already: set it up now; otherwise the next (re)connection does.
    if (this.current) await subscription.setUp(this.current)
    return {
      ready: () => subscription.declared,
      stop: async () => {
        await subscription.stop()
      },
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const subscription of this.subscriptions) await subscription.stop()
    this.subscriptions.clear()
    await this.model?.close().catch(() => undefined)
  }
}

class RabbitSubscription {
  private channel: Channel | undefined
  private model: ChannelModel | undefined
  private tags: string[] = []
  private stopped = false
  private markDeclared!: () => void
  readonly declared = new Promise<void>((resolve) => {
    this.markDeclared = resolve
  })

  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly deliver: (delivery: Delivery) => void,
  ) {}

  /** Sets the queue and consumers up on a connection; once per connection. */
  async setUp(model: ChannelModel): Promise<void> {
    if (this.stopped || this.model === model) return
    this.model = model
    const channel = await model.createChannel()
    channel.on('error', () => undefined)
    await channel.prefetch(this.spec.prefetch)
    await declareExchanges(channel)
    const queue = `trellis.${this.spec.group}`
    const dead = `${queue}.dead`
    await channel.assertQueue(dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } })
    await channel.bindQueue(dead, DEAD_EXCHANGE, this.spec.group)
    await channel.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': DEFAULTS.deliveryLimit,
        'x-dead-letter-exchange': DEAD_EXCHANGE,
        'x-dead-letter-routing-key': this.spec.group,
      },
    })
    for (const pattern of this.spec.patterns)
      await channel.bindQueue(queue, EXCHANGE, compilePattern(pattern).amqp)
    const main = await channel.consume(queue, (m) => m && this.deliver(this.delivery(channel, m, false)))
    const buried = await channel.consume(dead, (m) => m && this.deliver(this.delivery(channel, m, true)))
    this.channel = channel
    this.tags = [main.consumerTag, buried.consumerTag]
    this.markDeclared()
  }

  private delivery(channel: Channel, message: ConsumeMessage, buried: boolean): Delivery {
    // Quorum queues count earlier deliveries that ended without an ack (nack, or a consumer gone).
    const earlier = Number(message.properties.headers?.['x-delivery-count'] ?? 0)
    return {
      body: message.content,
      deliveryCount: buried ? Number.POSITIVE_INFINITY : earlier + 1,
      ack: async () => channel.ack(message),
      release: async (delayMs) => {
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
        channel.nack(message, false, true)
      },
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    const channel = this.channel
    if (!channel) return
    // Stop receiving; the channel stays open so deliveries in hand can still be acknowledged.
    for (const tag of this.tags) await channel.cancel(tag).catch(() => undefined)
  }
}

async function declareExchanges(channel: Channel): Promise<void> {
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true })
  await channel.assertExchange(DEAD_EXCHANGE, 'direct', { durable: true })
}

function connectRecovering(options: TransportOptions, setup: (model: ChannelModel) => Promise<void>) {
  return amqp.connect(options.url, {
    clientProperties: { connection_name: options.clientName ?? 'trellis' },
    recovery: {
      waitForConnect: false,
      initialDelay: DEFAULTS.reconnectMinMs,
      maxDelay: DEFAULTS.reconnectMaxMs,
      maxRetries: Number.POSITIVE_INFINITY,
      setup,
    },
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
