import { Type } from '@sinclair/typebox'
import { type AnyRoute, defineRoute } from '../service/define-route.js'
import type { EventConsumer } from './event-consumer.js'
import { MessagingErrors } from './messaging-errors.js'
import type { MessagingStats } from './messaging-stats.js'

const DeadLetter = Type.Object({
  id: Type.Integer(),
  messageId: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.String(), Type.Null()]),
  body: Type.String(),
  error: Type.String(),
  attempts: Type.Integer(),
  deadAt: Type.String(),
  replayedAt: Type.Union([Type.String(), Type.Null()]),
  replayCount: Type.Integer(),
})
const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) })

const Stats = Type.Object({
  transport: Type.String(),
  connected: Type.Boolean(),
  outbox: Type.Object({ pending: Type.Integer(), oldestPendingS: Type.Integer() }),
  relay: Type.Object({
    enabled: Type.Boolean(),
    published: Type.Integer(),
    failures: Type.Integer(),
    lastError: Type.Optional(Type.String()),
  }),
  consumer: Type.Object({
    subscribes: Type.Array(Type.String()),
    handled: Type.Integer(),
    duplicates: Type.Integer(),
    retries: Type.Integer(),
    deadLettered: Type.Integer(),
  }),
  deadLetters: Type.Object({ waiting: Type.Integer() }),
})

/** Internal routes on every instance: the messaging numbers, and the dead letters to list, replay or discard. */
export function messagingRoutes(consumer: EventConsumer, stats: () => Promise<MessagingStats>): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/messaging/stats',
      summary: 'Outbox backlog, relay and consumer counters, dead letters waiting',
      access: 'internal',
      tags: ['messaging'],
      schema: { response: { 200: Stats } },
      handler: async () => stats(),
    }),
    defineRoute({
      method: 'GET',
      url: '/messaging/dead-letters',
      summary: 'Dead letters, oldest first; keyset-paged by id',
      access: 'internal',
      tags: ['messaging'],
      schema: {
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            after: Type.Optional(Type.Integer({ minimum: 0 })),
            replayed: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(DeadLetter),
            nextAfter: Type.Union([Type.Integer(), Type.Null()]),
          }),
        },
      },
      handler: async (request) => {
        const limit = request.query.limit ?? 50
        const items = await consumer.deadLetters.list({
          limit,
          ...(request.query.after === undefined ? {} : { after: request.query.after }),
          ...(request.query.replayed === undefined ? {} : { replayed: request.query.replayed }),
        })
        return { items, nextAfter: items.length === limit ? items.at(-1)!.id : null }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/messaging/dead-letters/:id',
      summary: 'One dead letter with its message and last error',
      access: 'internal',
      tags: ['messaging'],
      schema: { params: Id, response: { 200: DeadLetter } },
      handler: async (request) => {
        const letter = await consumer.deadLetters.get(request.params.id)
        if (!letter) throw MessagingErrors.deadLetterNotFound(String(request.params.id))
        return letter
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/messaging/dead-letters/:id/replay',
      summary: "Run a dead letter's handlers again; its effect still happens at most once",
      access: 'internal',
      tags: ['messaging'],
      schema: {
        params: Id,
        response: {
          200: Type.Object({
            id: Type.Integer(),
            messageId: Type.Union([Type.String(), Type.Null()]),
            alreadyHandled: Type.Boolean(),
          }),
        },
      },
      handler: async (request) => consumer.replay(request.params.id),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/messaging/dead-letters/:id',
      summary: 'Discard a dead letter',
      access: 'internal',
      tags: ['messaging'],
      schema: { params: Id, response: { 204: Type.Null() } },
      handler: async (request, reply) => {
        if (!(await consumer.deadLetters.remove(request.params.id)))
          throw MessagingErrors.deadLetterNotFound(String(request.params.id))
        reply.code(204)
        return null
      },
    }),
  ]
}
