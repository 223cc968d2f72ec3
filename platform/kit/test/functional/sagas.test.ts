import { createTestDatabase, eventually, http, startTestService, type TestService } from '@trellis/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type SagaCommands, type SagaDefinition, SagaRefusal, Type } from '../../src/index.js'
import { defineSaga } from '../../src/sagas/saga-definition.js'
import { defineRoute } from '../../src/service/define-route.js'
import { defineService } from '../../src/service/define-service.js'

// A saga across three in-process services over the postgres transport: the
// orchestrator `shop`, and participants `alpha` and `beta` that record each
// effect and its undoing in a table. The payload tells a participant how to
// misbehave at one step.
interface Plan {
  refuse?: string
  withhold?: string
  fail?: string
}

const participant = (name: string, actions: string[]) => {
  const commands: SagaCommands = {}
  for (const action of actions) {
    commands[action] = async (plan: Plan, { tx, sagaId, withholdReply }) => {
      await tx.query('INSERT INTO effects (saga_id, action) VALUES ($1, $2)', [sagaId, action])
      if (plan.refuse === action) throw new SagaRefusal(`${action} refused`)
      if (plan.fail === action) throw new Error(`${action} broke`)
      if (plan.withhold === action) withholdReply()
      return { done: action }
    }
    commands[`undo-${action}`] = async (_plan: Plan, { tx, sagaId }) => {
      // Undoes whatever the action did for this saga, if anything.
      const { rowCount } = await tx.query(
        `UPDATE effects SET undone = true WHERE saga_id = $1 AND action = $2 AND NOT undone`,
        [sagaId, action],
      )
      return { undone: rowCount ?? 0 }
    }
  }
  return defineService({
    name,
    database: { migrations: new URL('./fixtures/sagas/migrations', import.meta.url) },
    routes: ({ db }) => [
      defineRoute({
        method: 'GET',
        url: '/effects/:sagaId',
        access: 'internal',
        summary: 'effects of a saga',
        schema: { params: Type.Object({ sagaId: Type.String() }), response: { 200: Type.Any() } },
        handler: async (request) => {
          const { rows } = await db.query(
            'SELECT action, undone FROM effects WHERE saga_id = $1 ORDER BY id',
            [request.params.sagaId],
          )
          return rows
        },
      }),
    ],
    commands,
  })
}

const flow: SagaDefinition<Plan> = defineSaga<Plan>({
  name: 'flow',
  timeoutMs: 1_500,
  compensationRetryMaxMs: 1_000,
  steps: [
    { name: 'one', participant: 'alpha', action: 'one', compensation: 'undo-one', payload: (p) => p },
    {
      name: 'two',
      participant: 'beta',
      action: 'two',
      compensation: 'undo-two',
      payload: (p) => p,
      // Long enough for beta to be restarted in the resume test.
      timeoutMs: 20_000,
    },
    { name: 'three', participant: 'alpha', action: 'three', compensation: 'undo-three', payload: (p) => p },
  ],
  cancellableAfterCompletion: () => true,
})

const shop = defineService({
  name: 'shop',
  database: { migrations: new URL('./fixtures/sagas/migrations', import.meta.url) },
  routes: ({ db, sagas }) => [
    defineRoute({
      method: 'POST',
      url: '/flows/:id',
      access: 'internal',
      summary: 'test route',
      schema: { params: Type.Object({ id: Type.String() }), body: Type.Any(), response: { 200: Type.Any() } },
      handler: async (request) =>
        db.tx((tx) => sagas.start(tx, 'flow', request.params.id, request.body as Plan)),
    }),
    defineRoute({
      method: 'POST',
      url: '/flows/:id/cancel',
      access: 'internal',
      summary: 'test route',
      schema: { params: Type.Object({ id: Type.String() }), response: { 200: Type.Any() } },
      handler: async (request) => db.tx((tx) => sagas.cancel(tx, request.params.id, 'asked to')),
    }),
  ],
  sagas: [flow],
})

let env: Record<string, string>
let shopDb: string
let orchestrator: TestService
let alpha: TestService
let beta: TestService
let n = 0

beforeAll(async () => {
  const admin = inject('postgresUrl')
  env = {
    TRELLIS_MESSAGING_TRANSPORT: 'postgres',
    TRELLIS_BROKER_URL: await createTestDatabase(admin, 'saga_broker'),
    TRELLIS_MESSAGING_POLL_MS: '200',
    TRELLIS_MESSAGING_RETRY_BASE_MS: '20',
    TRELLIS_MESSAGING_RETRY_MAX_MS: '50',
    TRELLIS_MESSAGING_MAX_ATTEMPTS: '2',
    TRELLIS_SAGAS_POLL_MS: '100',
    TRELLIS_LOG_LEVEL: 'warn',
  }
  shopDb = await createTestDatabase(admin, 'saga_shop')
  ;[orchestrator, alpha, beta] = await Promise.all([
    startTestService(shop, { databaseUrl: shopDb, env }),
    startTestService(participant('alpha', ['one', 'three']), { postgresUrl: admin, env }),
    startTestService(participant('beta', ['two']), { postgresUrl: admin, env }),
  ])
  await Promise.all([orchestrator, alpha, beta].map((s) => s.context.messaging.ready()))
}, 60_000)
afterAll(async () => {
  await Promise.all([orchestrator, alpha, beta].map((s) => s?.stop()))
})

const saga = async (id: string) => (await http(`${orchestrator.url}/sagas/${id}`)).body
const ended = (id: string) =>
  eventually(
    async () => {
      const s = await saga(id)
      return (s.status === 'completed' || s.status === 'compensated') && s
    },
    20_000,
    `saga ${id} to end`,
  )
const effects = async (service: TestService, id: string) =>
  (await http(`${service.url}/effects/${id}`)).body as Array<{ action: string; undone: boolean }>
const start = async (plan: Plan) => {
  const id = `flow-${process.pid}-${++n}`
  const res = await http(`${orchestrator.url}/flows/${id}`, { body: plan })
  expect(res.status).toBe(200)
  return id
}

describe('sagas over messaging', () => {
  it('runs every step in order and completes, with its history and timings', async () => {
    const id = await start({})
    const s = await ended(id)
    expect(s.status).toBe('completed')
    expect(s.results).toEqual({ one: { done: 'one' }, two: { done: 'two' }, three: { done: 'three' } })
    expect(s.timings.map((t: { step: string; outcome: string }) => `${t.step}:${t.outcome}`)).toEqual([
      'one:replied',
      'two:replied',
      'three:replied',
    ])
    expect(await effects(alpha, id)).toEqual([
      { action: 'one', undone: false },
      { action: 'three', undone: false },
    ])
    const metrics = await (await fetch(`${orchestrator.url}/metrics`)).text()
    expect(metrics).toMatch(/trellis_saga_outcomes_total\{[^}]*saga="flow"[^}]*outcome="completed"/)
  })

  it('a refusal compensates what was done, in reverse, and nothing of the refusing step remains', async () => {
    const id = await start({ refuse: 'three' })
    const s = await ended(id)
    expect(s.status).toBe('compensated')
    expect(s.failure).toEqual({ step: 'three', reason: 'three refused', kind: 'refused' })
    expect(await effects(alpha, id)).toEqual([{ action: 'one', undone: true }]) // three's write rolled back
    expect(await effects(beta, id)).toEqual([{ action: 'two', undone: true }])
    const order = s.history
      .filter((h: { kind: string; event: string }) => h.kind === 'compensation' && h.event === 'compensated')
      .map((h: { step: string }) => h.step)
    expect(order).toEqual(['two', 'one'])
  })

  it('a reply that never comes times out and compensates the late step too', async () => {
    const id = await start({ withhold: 'three' })
    const s = await ended(id)
    expect(s.failure).toMatchObject({ step: 'three', kind: 'timeout' })
    expect(await effects(alpha, id)).toEqual([
      { action: 'one', undone: true },
      { action: 'three', undone: true },
    ])
    expect(await effects(beta, id)).toEqual([{ action: 'two', undone: true }])
  })

  it('a participant whose handler keeps failing (dead letter) is a timeout too', async () => {
    const id = await start({ fail: 'one' })
    const s = await ended(id)
    expect(s).toMatchObject({ status: 'compensated', failure: { step: 'one', kind: 'timeout' } })
    expect(await effects(alpha, id)).toEqual([])
  })

  it('answers a command delivered twice from its record: one effect', async () => {
    const id = await start({})
    await ended(id)
    const handled = async (service: TestService) => (await service.context.messaging.stats()).consumer.handled
    const [betaBefore, shopBefore] = [await handled(beta), await handled(orchestrator)]
    // The same command again, as a new message (a redelivery after a lost ack, a replayed dead letter).
    const { rows } = await orchestrator.context.db.query<{ envelope: { data: unknown } }>(
      `SELECT envelope FROM trellis_outbox WHERE key = $1 AND type = 'beta.command.two'`,
      [id],
    )
    await orchestrator.context.db.tx((tx) =>
      orchestrator.context.publish(tx, { type: 'beta.command.two', key: id, data: rows[0]!.envelope.data }),
    )
    // Beta handles it (answering from its record) and the shop receives the repeated reply (stale: ignored).
    await eventually(
      async () => (await handled(beta)) > betaBefore && (await handled(orchestrator)) > shopBefore,
      10_000,
      'the duplicate and its reply handled',
    )
    expect(await effects(beta, id)).toEqual([{ action: 'two', undone: false }])
    expect((await saga(id)).status).toBe('completed')
  })

  it('refuses an action that arrives after its compensation (the compensation left a tombstone)', async () => {
    const sagaId = `late-${process.pid}`
    const command = (kind: 'action' | 'compensation', name: string) => ({
      type: `alpha.command.${name}`,
      key: sagaId,
      data: {
        sagaId,
        saga: 'flow',
        step: 'one',
        kind,
        commandId: `${kind}-id`,
        replyTo: 'shop',
        attempt: 1,
        payload: {},
      },
    })
    const handled = async () => (await alpha.context.messaging.stats()).consumer.handled
    const before = await handled()
    // The compensation overtakes its action (a saga that timed out while the action was still in flight).
    await orchestrator.context.db.tx(async (tx) => {
      await orchestrator.context.publish(tx, command('compensation', 'undo-one'))
      await orchestrator.context.publish(tx, command('action', 'one'))
    })
    await eventually(async () => (await handled()) >= before + 2, 10_000, 'both handled')
    expect(await effects(alpha, sagaId)).toEqual([])
    const { rows } = await alpha.context.db.query(
      'SELECT action_reply, compensated_at FROM trellis_saga_participation WHERE saga_id = $1',
      [sagaId],
    )
    expect(rows[0]).toMatchObject({ action_reply: null })
    expect(rows[0]!.compensated_at).not.toBeNull()
  })

  it('cancels a completed saga when its definition allows it', async () => {
    const id = await start({})
    await ended(id)
    expect((await http(`${orchestrator.url}/flows/${id}/cancel`, { body: {} })).status).toBe(200)
    const s = await eventually(
      async () => {
        const x = await saga(id)
        return x.status === 'compensated' && x
      },
      20_000,
      'compensated',
    )
    expect(s.failure).toMatchObject({ kind: 'cancelled' })
    expect((await effects(alpha, id)).every((e) => e.undone)).toBe(true)
    expect((await http(`${orchestrator.url}/flows/${id}/cancel`, { body: {} })).status).toBe(409)
  })

  it('resumes after the orchestrator stops mid-saga, and a participant that is away only delays it', async () => {
    await beta.stop()
    const id = await start({})
    await eventually(async () => (await saga(id)).step === 'two', 10_000, 'waiting on beta')
    await orchestrator.stop()
    beta = await startTestService(participant('beta', ['two']), { databaseUrl: beta.databaseUrl!, env })
    orchestrator = await startTestService(shop, { databaseUrl: shopDb, env })
    const s = await ended(id)
    expect(s.status).toBe('completed')
    expect(await effects(beta, id)).toEqual([{ action: 'two', undone: false }])
  })
})
