import { Type } from '@sinclair/typebox'
import { type AnyRoute, defineRoute } from '../service/define-route.js'
import type { SagaInstance } from './saga-definition.js'
import type { SagaEngine, SagaHistoryRecord } from './saga-engine.js'
import { SagaErrors } from './saga-errors.js'

const Instance = Type.Object({
  id: Type.String(),
  saga: Type.String(),
  status: Type.String(),
  /** The same as status, and the failure's reason as `error`: the shape the console reads. */
  state: Type.String(),
  error: Type.Optional(Type.String()),
  step: Type.Union([Type.String(), Type.Null()]),
  attempt: Type.Integer(),
  data: Type.Unknown(),
  results: Type.Unknown(),
  failure: Type.Union([
    Type.Object({ step: Type.String(), reason: Type.String(), kind: Type.String() }),
    Type.Null(),
  ]),
  deadlineAt: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
})

const Timing = Type.Object({
  step: Type.String(),
  kind: Type.String(),
  outcome: Type.String(),
  sentAt: Type.String(),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  ms: Type.Union([Type.Integer(), Type.Null()]),
})

const History = Type.Object({
  step: Type.String(),
  kind: Type.String(),
  event: Type.String(),
  detail: Type.Unknown(),
  at: Type.String(),
})

/** Internal routes of an orchestrating service: its saga instances, with state, step history and timings. */
export function sagaRoutes(engine: SagaEngine, stepNames: (saga: string) => string[]): AnyRoute[] {
  const view = (instance: SagaInstance) => ({
    id: instance.id,
    saga: instance.saga,
    status: instance.status,
    state: instance.status,
    ...(instance.failure ? { error: `${instance.failure.step}: ${instance.failure.reason}` } : {}),
    // The awaited step's name while running or compensating.
    step:
      instance.status === 'running' || instance.status === 'compensating'
        ? (stepNames(instance.saga)[instance.step] ?? null)
        : null,
    attempt: instance.attempt,
    data: instance.data,
    results: instance.results,
    failure: instance.failure,
    deadlineAt: instance.deadlineAt?.toISOString() ?? null,
    startedAt: instance.startedAt.toISOString(),
    updatedAt: instance.updatedAt.toISOString(),
    finishedAt: instance.finishedAt?.toISOString() ?? null,
    durationMs: instance.finishedAt ? instance.finishedAt.getTime() - instance.startedAt.getTime() : null,
  })
  return [
    defineRoute({
      method: 'GET',
      url: '/sagas',
      summary: 'Saga instances by id, with counts by status; status=running lists what is in progress',
      access: 'internal',
      tags: ['sagas'],
      schema: {
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal('running'),
                Type.Literal('compensating'),
                Type.Literal('completed'),
                Type.Literal('compensated'),
              ]),
            ),
            saga: Type.Optional(Type.String({ maxLength: 63 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            after: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            counts: Type.Record(Type.String(), Type.Integer()),
            items: Type.Array(Instance),
          }),
        },
      },
      handler: async (request) => {
        const { status, saga, limit, after } = request.query
        const items = await engine.list({
          limit: limit ?? 100,
          ...(status ? { status } : {}),
          ...(saga ? { saga } : {}),
          ...(after ? { after } : {}),
        })
        return { counts: await engine.counts(), items: items.map(view) }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/sagas/:id',
      summary: 'One saga: its state, step history and the time each step took',
      access: 'internal',
      tags: ['sagas'],
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: Type.Object({
            ...Instance.properties,
            history: Type.Array(History),
            timings: Type.Array(Timing),
          }),
        },
      },
      handler: async (request) => {
        const instance = await engine.read(engineDb(engine), request.params.id)
        if (!instance) throw SagaErrors.notFound(request.params.id)
        const history = await engine.history(instance.id)
        return { ...view(instance), history, timings: timings(history) }
      },
    }),
  ]
}

function engineDb(engine: SagaEngine) {
  return engine.database
}

/** Pairs each `sent` with what ended it (a reply, a refusal, a timeout), in order. */
export function timings(history: SagaHistoryRecord[]) {
  const open = new Map<string, SagaHistoryRecord>()
  const rows: Array<{
    step: string
    kind: string
    outcome: string
    sentAt: string
    endedAt: string | null
    ms: number | null
  }> = []
  for (const entry of history) {
    const key = `${entry.kind}:${entry.step}`
    if (entry.event === 'sent') {
      open.set(key, entry)
      continue
    }
    const sent = open.get(key)
    if (!sent) continue
    open.delete(key)
    rows.push({
      step: entry.step,
      kind: entry.kind,
      outcome: entry.event,
      sentAt: sent.at,
      endedAt: entry.at,
      ms: Date.parse(entry.at) - Date.parse(sent.at),
    })
  }
  for (const sent of open.values())
    rows.push({
      step: sent.step,
      kind: sent.kind,
      outcome: 'awaiting',
      sentAt: sent.at,
      endedAt: null,
      ms: null,
    })
  return rows
}
