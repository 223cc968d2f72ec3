import { defineService, type Envelope, type EventDraft } from '@trellis/kit'
import { createTestDatabase } from './postgres.js'
import { startTestService, type TestService } from './service.js'

/** An empty migrations folder, for stand-in services that keep only the kit's own tables. */
export const NO_MIGRATIONS = new URL('../fixtures/no-migrations', import.meta.url)

/**
 * The settings that put services on the Postgres transport with a fresh
 * broker database of their own, polling fast (notifications do the real work).
 */
export async function postgresBrokerEnv(
  postgresUrl: string,
  prefix = 'broker',
): Promise<Record<string, string>> {
  return {
    TRELLIS_MESSAGING_TRANSPORT: 'postgres',
    TRELLIS_BROKER_URL: await createTestDatabase(postgresUrl, prefix),
    TRELLIS_MESSAGING_POLL_MS: '200',
  }
}

export interface TestPublisher extends TestService {
  /** Commits one event to the stand-in's outbox, as `name` would in a transaction of its own. */
  publish(draft: EventDraft): Promise<Envelope>
}

/**
 * A stand-in for another service that only publishes its events (`order`,
 * say), so that a consumer can be tested with its real database and the
 * real transport, without the service that normally sends them.
 */
export async function startPublisher(
  name: string,
  options: { postgresUrl: string; env: Record<string, string> },
): Promise<TestPublisher> {
  const service = await startTestService(
    defineService({ name, database: { migrations: NO_MIGRATIONS }, routes: () => [] }),
    options,
  )
  const { db, publish } = service.context
  return Object.assign(service, { publish: (draft: EventDraft) => db.tx((tx) => publish(tx, draft)) })
}
