import { Gauge, type Registry } from 'prom-client'
import type { Database } from '../db/database.js'
import type { EventConsumer } from './event-consumer.js'
import { outboxStats } from './outbox.js'
import type { OutboxRelay } from './outbox-relay.js'

/**
 * Messaging series, read when scraped: the outbox backlog and its oldest
 * event's age (the console alerts when it grows), dead letters waiting, and
 * the relay's and consumer's running counts.
 */
export function messagingGauges(
  registry: Registry,
  db: Database,
  consumer: EventConsumer,
  relay: OutboxRelay | undefined,
): void {
  const registers = [registry]
  // One query serves both outbox gauges.
  let outbox: Promise<void> | undefined
  const readOutbox = (): Promise<void> =>
    (outbox ??= outboxStats(db)
      .then((stats) => {
        pending.set(stats.pending)
        oldest.set(stats.oldestPendingS)
      })
      .catch(() => undefined)
      .finally(() => {
        outbox = undefined
      }))
  const pending = new Gauge({
    name: 'trellis_outbox_pending',
    help: 'Events committed to the outbox and not yet accepted by the transport.',
    registers,
    collect: readOutbox,
  })
  const oldest = new Gauge({
    name: 'trellis_outbox_oldest_pending_seconds',
    help: 'Age of the oldest event waiting in the outbox.',
    registers,
    collect: readOutbox,
  })
  new Gauge({
    name: 'trellis_dead_letters_waiting',
    help: 'Messages the handlers gave up on, not replayed yet.',
    registers,
    async collect() {
      const waiting = await consumer.deadLetters.waiting().catch(() => undefined)
      if (waiting !== undefined) this.set(waiting)
    },
  })
  const counts: Array<[string, string, () => number]> = [
    [
      'trellis_outbox_published',
      'Events the relay published (since start).',
      () => relay?.stats.published ?? 0,
    ],
    ['trellis_consumer_handled', 'Messages handled (since start).', () => consumer.stats.handled],
    ['trellis_consumer_retries', 'Handler retries (since start).', () => consumer.stats.retries],
    [
      'trellis_consumer_dead_lettered',
      'Messages moved to the dead letters (since start).',
      () => consumer.stats.deadLettered,
    ],
  ]
  for (const [name, help, read] of counts)
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read())
      },
    })
}
