import type pg from 'pg'
import type { Logger } from '../log/logger.js'
import type { Envelope, EventDraft } from './envelope.js'
import { compilePattern, type EventPattern } from './pattern.js'

/** What a handler gets besides the event. */
export interface EventContext {
  /** The transaction the handler's writes belong to; the inbox record commits with them. */
  tx: pg.PoolClient
  log: Logger
  /** Publishes a follow-up event in the same transaction (through the outbox). */
  publish<D>(draft: EventDraft<D>): Promise<Envelope<D>>
  /** 1 on the first try; more when earlier tries failed. */
  attempt: number
}

// biome-ignore lint/suspicious/noExplicitAny: handlers of different event types sit in one map
export type EventHandler<D = any> = (event: Envelope<D>, context: EventContext) => Promise<void>

/** `subscribes` in a service definition: event type or pattern → handler. */
export type Subscriptions = Record<string, EventHandler>

export interface CompiledSubscription {
  pattern: EventPattern
  handler: EventHandler
}

export function compileSubscriptions(subscriptions: Subscriptions): CompiledSubscription[] {
  return Object.entries(subscriptions).map(([text, handler]) => ({ pattern: compilePattern(text), handler }))
}
