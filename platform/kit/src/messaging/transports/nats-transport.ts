import { createHash } from 'node:crypto'
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node'
import { backoffDelay, sleep } from '../backoff.js'
import type { Envelope } from '../envelope.js'
import { MessagingErrors } from '../messaging-errors.js'
import type { Delivery, Subscription, SubscriptionSpec, Transport } from '../transport.js'
import type { TransportOptions } from './create-transport.js'

const STREAM = 'TRELLIS_EVENTS'
const SUBJECT_PREFIX = 'trellis.events'

const DEFAULTS = {
  // A week of events, for groups that were away; consumers track their own position.
  maxAgeMs: 7 * 24 * 3_600_000,
  // Publishing an event id twice within this window stores it once (the relay may re-publish after a crash).
  duplicateWindowMs: 120_000,
  // How long a delivery stays with a consumer that stopped answering; extended (`working`) while a handler runs.
  ackWaitMs: 15_000,
  publishTimeoutMs: 5_000,
}

/**
 * Messaging over NATS JetStream: one file-backed stream `TRELLIS_EVENTS`
 * for subjects `trellis.events.<type>`; publishes carry the event id as
 * `Nats-Msg-Id` (duplicates within two minutes are stored once) and
 * resolve on the server's ack. A consumer group is one durable pull
 * consumer per pattern, with explicit acks; replicas pulling from the same
 * durable compete. The client reconnects by itself; consumers resume.
 */
export class NatsTransport implements Transport {
  readonly kind = 'nats' as const
  private nc: NatsConnection | undefined
  private js: JetStreamClient | undefined
  private jsm: JetStreamManager | undefined
  private ready = false
  private closed = false
  private readonly subscriptions = new Set<NatsSubscription>()

  constructor(private readonly options: TransportOptions) {}

  async start(): Promise<void> {
    void this.connectInBackground()
  }

  private async connectInBackground(): Promise<void> {
    let nc: NatsConnection
    try {
      nc = await connect({
        servers: this.options.url,
        name: this.options.clientName ?? 'trellis',
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: 2_000,
      })
    } catch (error) {
      this.options.log.error({ err: error }, 'nats connection failed')
      return
    }
    if (this.closed) {
      await nc.close()
      return
    }
    this.nc = nc
    this.js = jetstream(nc)
    void this.watch(nc)
    await this.prepare()
  }

  /** The stream exists and subscriptions run; retried after every reconnect. */
  private async prepare(): Promise<void> {
    for (let attempt = 1; !this.closed && this.nc && !this.nc.isClosed(); attempt++) {
      try {
        this.jsm = await jetstreamManager(this.nc, { timeout: 5_000 })
        await ensureStream(this.jsm)
        this.ready = true
        for (const s of this.subscriptions) s.start(this.js!, this.jsm)
        this.options.log.info('nats connected')
        return
      } catch (error) {
        if (attempt === 1) this.options.log.warn({ err: error }, 'nats jetstream not ready; retrying')
        await sleep(backoffDelay(attempt, 200, 5_000))
      }
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.ready = false
        this.options.log.warn('nats connection lost; reconnecting')
      } else if (status.type === 'reconnect') {
        void this.prepare()
      }
    }
  }

  connected(): boolean {
    return this.ready
  }

  async publish(envelopes: Envelope[]): Promise<void> {
    const js = this.js
    if (!js || !this.ready) throw MessagingErrors.transportUnavailable('nats', 'not connected')
    try {
      // Sent in order on one connection, acknowledged together.
      await Promise.all(
        envelopes.map((e) =>
          js.publish(`${SUBJECT_PREFIX}.${e.type}`, JSON.stringify(e), {
            msgID: e.id,
            timeout: DEFAULTS.publishTimeoutMs,
          }),
        ),
      )
    } catch (error) {
      throw MessagingErrors.transportUnavailable('nats', (error as Error).message)
    }
  }

  async subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => void): Promise<Subscription> {
    const subscription = new NatsSubscription(spec, deliver, this.options)
    this.subscriptions.add(subscription)
    if (this.ready && this.js && this.jsm) subscription.start(this.js, this.jsm)
    return {
      ready: () => subscription.declared,
      stop: async () => {
        await subscription.stop()
      },
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.ready = false
    // Stop pulling first (a pull still open would take back what we release), then give back what is in hand.
    for (const s of this.subscriptions) await s.stop()
    for (const s of this.subscriptions) s.releaseAll()
    this.subscriptions.clear()
    // Drain: acknowledgements already sent reach the server before the socket closes.
    await this.nc?.drain().catch(() => this.nc?.close())
  }
}

class NatsSubscription {
  private readonly running = new Map<string, Promise<void>>()
  private readonly closers = new Set<{ close(): Promise<unknown> }>()
  private stopped = false
  private readonly inFlight = new Set<JsMsg>()
  private readonly workTimer: NodeJS.Timeout
  private readonly ackWaitMs: number
  private readonly pendingDeclarations: Set<string>
  private markDeclared!: () => void
  readonly declared = new Promise<void>((resolve) => {
    this.markDeclared = resolve
  })

  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly deliver: (delivery: Delivery) => void,
    private readonly options: TransportOptions,
  ) {
    this.pendingDeclarations = new Set(spec.patterns)
    this.ackWaitMs = options.leaseMs ?? DEFAULTS.ackWaitMs
    // Handlers still running keep their messages: tell the server well before the ack wait ends.
    this.workTimer = setInterval(() => {
      for (const message of this.inFlight) message.working()
    }, this.ackWaitMs / 3)
    this.workTimer.unref()
  }

  /** One durable consumer per pattern; starting again (after a reconnect) keeps loops already running. */
  start(js: JetStreamClient, jsm: JetStreamManager): void {
    for (const pattern of this.spec.patterns) {
      if (this.running.has(pattern) || this.stopped) continue
      const loop = this.consume(js, jsm, pattern).finally(() => this.running.delete(pattern))
      this.running.set(pattern, loop)
    }
  }

  private async consume(js: JetStreamClient, jsm: JetStreamManager, pattern: string): Promise<void> {
    const durable = `${this.spec.group}_${createHash('sha256').update(pattern).digest('hex').slice(0, 12)}`
    for (let failures = 0; !this.stopped; ) {
      try {
        await ensureConsumer(jsm, durable, `${SUBJECT_PREFIX}.${pattern}`, this.ackWaitMs)
        this.pendingDeclarations.delete(pattern)
        if (this.pendingDeclarations.size === 0) this.markDeclared()
        const consumer = await js.consumers.get(STREAM, durable)
        const messages = await consumer.consume({ max_messages: this.spec.prefetch })
        this.closers.add(messages)
        failures = 0
        for await (const message of messages) this.deliver(this.toDelivery(message))
        this.closers.delete(messages)
      } catch (error) {
        failures += 1
        if (failures === 1)
          this.options.log.warn({ err: error, durable }, 'nats consumer interrupted; resuming')
      }
      if (!this.stopped) await sleep(backoffDelay(failures + 1, 200, 5_000))
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const closer of this.closers) await closer.close().catch(() => undefined)
    this.closers.clear()
  }

  /** Deliveries still in hand go back to the group now rather than after the ack wait. */
  releaseAll(): void {
    for (const message of this.inFlight) message.nak()
    this.inFlight.clear()
    if (this.workTimer) clearInterval(this.workTimer)
  }

  private toDelivery(message: JsMsg): Delivery {
    this.inFlight.add(message)
    const settle = () => this.inFlight.delete(message)
    return {
      body: message.data,
      deliveryCount: message.info.deliveryCount,
      ack: async () => {
        // Not confirmed, as with RabbitMQ: an ack lost with the connection means a redelivery, which
        // the inbox drops. Waiting for the server's confirmation cost a round trip and two Error
        // objects (nats.js builds them for every request) per message.
        settle()
        message.ack()
      },
      release: async (delayMs) => {
        settle()
        message.nak(delayMs)
      },
    }
  }
}

async function ensureStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(STREAM)
  } catch {
    await jsm.streams.add({
      name: STREAM,
      subjects: [`${SUBJECT_PREFIX}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(DEFAULTS.maxAgeMs),
      duplicate_window: nanos(DEFAULTS.duplicateWindowMs),
    })
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  durable: string,
  filter: string,
  ackWaitMs: number,
): Promise<void> {
  try {
    await jsm.consumers.info(STREAM, durable)
  } catch {
    // New groups start with what is published from now on, like a new queue on RabbitMQ.
    await jsm.consumers.add(STREAM, {
      durable_name: durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: nanos(ackWaitMs),
      max_deliver: -1,
    })
  }
}
