import type { Envelope } from './envelope.js'

export type TransportKind = 'postgres' | 'rabbitmq' | 'nats'

/**
 * What the kit needs from a message transport. The kit owns the semantics
 * (outbox, inbox, retries, dead letters, per-key order within an instance);
 * a transport only moves bytes durably between a publisher and consumer
 * groups. Every adapter passes the same conformance suite
 * (platform/kit/test/functional/messaging/conformance.ts).
 */
export interface Transport {
  readonly kind: TransportKind
  /**
   * Starts connecting. Never fails because the transport is down: the
   * instance must start (and keep accepting writes) anyway; publishing
   * fails until the connection is there, and subscriptions start then.
   */
  start(): Promise<void>
  /**
   * Publishes events in the given order and resolves once the transport
   * has durably accepted all of them (persistent messages, publisher
   * confirms). Rejects when any of them may not have been accepted; the
   * caller publishes them again (consumers drop duplicates by event id).
   */
  publish(envelopes: Envelope[]): Promise<void>
  /**
   * Declares the consumer group's durable subscription (created once, kept
   * while the group is away) and delivers its messages to `deliver`, at
   * most `prefetch` unacknowledged at a time. Replicas that subscribe with
   * the same group compete for its messages; each group gets every message.
   */
  subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => void): Promise<Subscription>
  /** Whether the transport is connected now. */
  connected(): boolean
  /** Stops consuming and closes connections; unacknowledged deliveries go back to their group. */
  close(): Promise<void>
}

export interface SubscriptionSpec {
  group: string
  /** Event patterns (see pattern.ts): exact types, `*` for one segment, a final `>` for the rest. */
  patterns: string[]
  prefetch: number
}

export interface Delivery {
  /** The message as published; parsing is the kit's job, so that a malformed one still reaches the dead letters. */
  body: Uint8Array | string
  /**
   * How many times the transport has delivered this message to the group,
   * this time included. Grows when a consumer died before acknowledging, or
   * when a message was released. `Infinity` marks a message the broker
   * itself dead-lettered (RabbitMQ's delivery limit).
   */
  deliveryCount: number
  /** Done: the group never sees it again. */
  ack(): Promise<void>
  /** Not done: deliver it again (to any consumer of the group) after `delayMs`. */
  release(delayMs: number): Promise<void>
}

export interface Subscription {
  /** Resolves once the group's subscription exists on the transport (events published from then on reach the group). */
  ready(): Promise<void>
  /** Stops taking new messages; deliveries in hand may still be acknowledged or released. */
  stop(): Promise<void>
}
