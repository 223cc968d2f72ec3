import type { Logger } from '../../log/logger.js'
import type { Transport, TransportKind } from '../transport.js'

export interface TransportOptions {
  kind: TransportKind
  url: string
  log: Logger
  /** Postgres transport: how long a claimed delivery is held for a silent consumer. */
  leaseMs?: number
  /** Postgres transport: fallback poll interval. */
  pollMs?: number
  /** Who connects (connection names on the broker). */
  clientName?: string
}

/** The transport named by configuration. Adapters load on demand: a service pays only for the client it uses. */
export async function createTransport(options: TransportOptions): Promise<Transport> {
  switch (options.kind) {
    case 'postgres': {
      const { PostgresTransport } = await import('./postgres-transport.js')
      return new PostgresTransport(options)
    }
    case 'rabbitmq': {
      const { RabbitMqTransport } = await import('./rabbitmq-transport.js')
      return new RabbitMqTransport(options)
    }
    case 'nats': {
      const { NatsTransport } = await import('./nats-transport.js')
      return new NatsTransport(options)
    }
  }
}
