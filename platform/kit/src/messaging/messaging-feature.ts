import { ConfigErrors, loadSettings } from '../config/settings.js'
import type { Queryable } from '../db/database.js'
import { migrate } from '../db/migrations.js'
import { cached } from '../health/readiness.js'
import { addedSubscriptions } from '../sagas/saga-feature.js'
import type { KitFeature } from '../service/feature.js'
import { sleep } from './backoff.js'
import type { EventDraft } from './envelope.js'
import { EventConsumer } from './event-consumer.js'
import { MessagingErrors } from './messaging-errors.js'
import { messagingGauges } from './messaging-metrics.js'
import { messagingRoutes } from './messaging-routes.js'
import { MessagingSettings } from './messaging-settings.js'
import type { MessagingStats } from './messaging-stats.js'
import { MESSAGING_MIGRATIONS, MESSAGING_NAMESPACE } from './messaging-tables.js'
import { outboxStats, purgeOutbox, writeToOutbox } from './outbox.js'
import { OutboxRelay } from './outbox-relay.js'
import { compileSubscriptions } from './subscriptions.js'
import { createTransport } from './transports/create-transport.js'

/** What `context.messaging` offers besides `context.publish`. */
export interface MessagingHandle {
  /** Resolves once this service's subscriptions exist on the transport. */
  ready(): Promise<void>
  /** The instance's messaging numbers (a metrics feature reads them). */
  stats(): Promise<MessagingStats>
}

const DEFAULTS = {
  purgeEveryMs: 3_600_000,
  bindWaitMs: 3_000,
}

/**
 * Reliable messaging for every service with a database: `context.publish`
 * writes to the outbox in the caller's transaction, a relay delivers the
 * outbox to the transport, `subscribes` handlers run with an inbox record,
 * failures end in dead letters that internal routes list and replay.
 * Without a broker URL events wait in the outbox and nothing is consumed.
 */
export const messaging: KitFeature = {
  name: 'messaging',
  async setup({ definition, context, db, env, log, addRoute, readiness }) {
    const settings = loadSettings(MessagingSettings, env, 'messaging')
    if (!db) {
      if (definition.subscribes || Object.keys(addedSubscriptions(context)).length)
        throw ConfigErrors.invalid(
          `service ${definition.name} subscribes to events but declares no database, where its inbox lives`,
        )
      context.publish = () => {
        throw MessagingErrors.eventInvalid(
          `service ${definition.name} declares no database, where its outbox lives`,
        )
      }
      return undefined
    }
    await migrate(db, MESSAGING_MIGRATIONS, { namespace: MESSAGING_NAMESPACE, log })
    context.publish = <D>(tx: Queryable, draft: EventDraft<D>) => writeToOutbox(tx, definition.name, draft)

    const subscribes = {
      ...(typeof definition.subscribes === 'function'
        ? definition.subscribes(context)
        : (definition.subscribes ?? {})),
      // Saga commands and replies travel as events too.
      ...addedSubscriptions(context),
    }
    const subscriptions = compileSubscriptions(subscribes)
    const transport = settings.brokerUrl
      ? await createTransport({
          kind: settings.transport,
          url: settings.brokerUrl,
          log: log.child({ transport: settings.transport }),
          leaseMs: settings.leaseMs,
          pollMs: settings.pollMs,
          clientName: context.instanceId,
        })
      : undefined
    if (!transport)
      log.warn(
        { subscribes: subscriptions.map((s) => s.pattern.text) },
        'no TRELLIS_BROKER_URL: published events wait in the outbox and no events are consumed',
      )
    const relay =
      transport && settings.relay
        ? new OutboxRelay({
            db,
            transport,
            log,
            batchSize: settings.relayBatch,
            pollMs: settings.pollMs,
            retryBaseMs: settings.retryBaseMs,
            retryMaxMs: settings.retryMaxMs,
            tracer: context.tracer,
          })
        : undefined
    const consumer = new EventConsumer({
      group: definition.name,
      db,
      transport,
      subscriptions,
      log,
      maxAttempts: settings.maxAttempts,
      maxDeliveries: settings.maxDeliveries,
      retryBaseMs: settings.retryBaseMs,
      retryMaxMs: settings.retryMaxMs,
      prefetch: settings.prefetch,
      batchSize: settings.consumerBatch,
      drainTimeoutMs: 10_000,
      tracer: context.tracer,
    })

    const stats = async (): Promise<MessagingStats> => ({
      transport: transport?.kind ?? 'off',
      connected: transport?.connected() ?? false,
      outbox: await outboxStats(db),
      relay: {
        enabled: relay !== undefined,
        published: relay?.stats.published ?? 0,
        failures: relay?.stats.failures ?? 0,
        ...(relay?.stats.lastError ? { lastError: relay.stats.lastError } : {}),
      },
      consumer: { subscribes: consumer.patterns, ...consumer.stats },
      deadLetters: { waiting: await consumer.deadLetters.waiting() },
    })
    context.messaging = { stats, ready: () => consumer.ready() }
    messagingGauges(context.metrics, db, consumer, relay)
    for (const route of messagingRoutes(consumer, stats)) addRoute(route)
    // A detail, never a reason to turn traffic away: with the transport down, writes go on into the outbox.
    readiness.add(
      'messaging',
      cached(async () => {
        const outbox = await outboxStats(db).catch(() => undefined)
        const link = transport
          ? `${transport.kind} ${transport.connected() ? 'connected' : 'unreachable'}`
          : 'off'
        return { ok: true, detail: `${link}; outbox backlog ${outbox?.pending ?? '?'}` }
      }, 1_000),
    )
    const purge = setInterval(() => {
      void purgeOutbox(db, settings.outboxRetentionHours).catch(() => undefined)
      void db
        .query('DELETE FROM trellis_inbox WHERE handled_at < now() - make_interval(hours => $1)', [
          settings.inboxRetentionHours,
        ])
        .catch(() => undefined)
    }, DEFAULTS.purgeEveryMs)
    purge.unref()

    return {
      afterListen: async () => {
        await transport?.start()
        await consumer.start()
        // Register (and relay) only once subscribed, so events published from then on reach this group,
        // its own included; but never wait long: with the transport down the instance must still come
        // up and take writes.
        await Promise.race([consumer.ready(), sleep(DEFAULTS.bindWaitMs)])
        relay?.start()
      },
      metadata: () => ({ messaging: { transport: transport?.kind ?? 'off', subscribes: consumer.patterns } }),
      stop: async () => {
        clearInterval(purge)
        await consumer.stop()
        await relay?.stop()
        await transport?.close()
      },
    }
  },
}
