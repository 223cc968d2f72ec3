import { Type } from '@sinclair/typebox'
import { ConfigErrors, defineSettings, loadSettings, setting } from '../config/settings.js'
import type { Queryable } from '../db/database.js'
import { migrate } from '../db/migrations.js'
import type { Subscriptions } from '../messaging/subscriptions.js'
import type { ServiceContext } from '../service/define-service.js'
import type { KitFeature } from '../service/feature.js'
import { replyType, type SagaInstance } from './saga-definition.js'
import { SagaEngine, type SagaHistoryRecord } from './saga-engine.js'
import { SagaErrors } from './saga-errors.js'
import { participantSubscriptions } from './saga-participant.js'
import { sagaRoutes } from './saga-routes.js'
import { SAGA_MIGRATIONS, SAGA_NAMESPACE } from './saga-tables.js'

/** What `context.sagas` offers an orchestrating service. */
export interface SagaHandle {
  /** Starts a saga in `tx`; its first command leaves if and only if `tx` commits. An existing id is returned as it is. */
  start<D>(tx: Queryable, saga: string, id: string, data: D): Promise<SagaInstance<D>>
  /** Compensates a running saga (or a completed one its definition allows); refused with a 409 otherwise. */
  cancel(tx: Queryable, id: string, reason: string): Promise<SagaInstance>
  get(id: string, db?: Queryable): Promise<SagaInstance | undefined>
  history(id: string): Promise<SagaHistoryRecord[]>
}

export const SagaSettings = defineSettings({
  pollMs: setting(
    Type.Integer({ minimum: 10, maximum: 60_000 }),
    250,
    'How often an orchestrator looks for saga replies that are late (its timeouts fire at most this much after their deadline).',
  ),
  resumeGraceMs: setting(
    Type.Integer({ minimum: 0, maximum: 600_000 }),
    // Longer than the messaging lease (15 s): replies a killed instance had claimed come back only after it.
    20_000,
    'At start, late deadlines move this far out so that replies which came (or were claimed by an instance that died) while the orchestrator was down are read before a step is called late; keep it above TRELLIS_MESSAGING_LEASE_MS.',
  ),
})

/** Subscriptions a feature adds to the service's own; the messaging feature reads them. */
const added = new WeakMap<ServiceContext, Subscriptions>()

export function addedSubscriptions(context: ServiceContext): Subscriptions {
  return added.get(context) ?? {}
}

const notDeclared = (service: string): SagaHandle => {
  const refuse = () => Promise.reject(SagaErrors.notDeclared(service))
  return { start: refuse, cancel: refuse, get: refuse, history: refuse }
}

/**
 * Sagas for services that declare them (`sagas`: the service orchestrates)
 * or take part in them (`commands`: the service performs steps). Set up
 * before messaging, to which it adds the reply and command subscriptions.
 */
export const sagaFeature: KitFeature = {
  name: 'sagas',
  async setup({ definition, context, db, env, log, addRoute }) {
    const declared =
      (typeof definition.sagas === 'function' ? definition.sagas(context) : definition.sagas) ?? []
    const commands =
      (typeof definition.commands === 'function' ? definition.commands(context) : definition.commands) ?? {}
    context.sagas = notDeclared(definition.name)
    if (declared.length === 0 && Object.keys(commands).length === 0) return undefined
    if (!db)
      throw ConfigErrors.invalid(
        `service ${definition.name} takes part in sagas but declares no database, where their state lives`,
      )
    const settings = loadSettings(SagaSettings, env, 'sagas')
    await migrate(db, SAGA_MIGRATIONS, { namespace: SAGA_NAMESPACE, log })
    const subscriptions: Subscriptions = participantSubscriptions(definition.name, commands)
    let engine: SagaEngine | undefined
    if (declared.length > 0) {
      engine = new SagaEngine({
        service: definition.name,
        db,
        sagas: declared as never,
        log: log.child({ feature: 'sagas' }),
        metrics: context.metrics,
        pollMs: settings.pollMs,
        resumeGraceMs: settings.resumeGraceMs,
      })
      subscriptions[replyType(definition.name)] = engine.onReply
      const running = engine
      context.sagas = {
        start: (tx, saga, id, data) => running.start(tx, saga, id, data),
        cancel: (tx, id, reason) => running.cancel(tx, id, reason),
        get: (id, from) => running.read(from ?? db, id),
        history: (id) => running.history(id),
      }
      for (const route of sagaRoutes(running, (saga) => running.stepNames(saga))) addRoute(route)
      const counts = await running.counts()
      const unfinished = (counts.running ?? 0) + (counts.compensating ?? 0)
      if (unfinished > 0) log.info({ unfinished }, 'resuming sagas in progress')
    }
    added.set(context, subscriptions)
    return {
      afterListen: () => engine?.startPolling(),
      metadata: () => (engine ? { sagas: engine.sagas } : {}),
      stop: () => engine?.stop(),
    }
  },
}
