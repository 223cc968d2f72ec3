import type { TransportKind } from './transport.js'

/**
 * The messaging numbers of one instance, for the stats route, the health
 * detail and (wired by a metrics feature) Prometheus gauges and counters.
 * Counters count since the instance started; the outbox backlog and the
 * dead letters waiting are read from the service's database.
 */
export interface MessagingStats {
  transport: TransportKind | 'off'
  connected: boolean
  outbox: { pending: number; oldestPendingS: number }
  relay: { enabled: boolean; published: number; failures: number; lastError?: string }
  consumer: {
    subscribes: string[]
    handled: number
    duplicates: number
    retries: number
    deadLettered: number
  }
  deadLetters: { waiting: number }
}
