import type { FastifyReply, FastifyRequest } from 'fastify'
import type pg from 'pg'
import type { Database } from '../db/database.js'
import { IDEMPOTENCY_HEADER, idempotent, REPLAYED_HEADER } from '../db/idempotency.js'

/**
 * Runs a creating write under the request's `Idempotency-Key` (when it sent
 * one) and sets the reply's status; a replay carries `Idempotent-Replayed: true`.
 */
export async function replyIdempotently<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  db: Database,
  work: (tx: pg.PoolClient) => Promise<{ status: number; body: T }>,
): Promise<T> {
  const header = request.headers[IDEMPOTENCY_HEADER]
  const key = Array.isArray(header) ? header.join(',') : header
  const result = await idempotent(
    db,
    {
      scope: `${request.method} ${request.routeOptions.url ?? request.url}`,
      key,
      fingerprint: { params: request.params, body: request.body },
    },
    work,
  )
  reply.code(result.status)
  if (result.replayed) reply.header(REPLAYED_HEADER, 'true')
  return result.body
}
