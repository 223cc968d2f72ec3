import type { Queryable } from '../db/database.js'
import { currentTraceparent } from '../tracing/trace-context.js'
import { createEnvelope, type Envelope, type EventDraft } from './envelope.js'

/** The channel the outbox notifies on commit; the relay listens to it. */
export const OUTBOX_CHANNEL = 'trellis_outbox'

/**
 * Writes an event to the outbox in the caller's transaction: it is
 * published if and only if the transaction commits. The NOTIFY is
 * transactional too, so the relay wakes at the commit, not before.
 *
 * Publish after the write that changes the aggregate: its row lock then
 * orders concurrent writers of one key, and with it their events.
 */
export async function writeToOutbox<D>(
  tx: Queryable,
  source: string,
  draft: EventDraft<D>,
): Promise<Envelope<D>> {
  const [envelope] = await writeAllToOutbox(tx, source, [draft])
  return envelope!
}

/** Several events in one statement, in the given order. */
export async function writeAllToOutbox<D>(
  tx: Queryable,
  source: string,
  drafts: Array<EventDraft<D>>,
): Promise<Array<Envelope<D>>> {
  // An event carries the trace of the work that published it (a request, a message handler).
  const traceparent = currentTraceparent()
  const envelopes = drafts.map((draft) =>
    createEnvelope(source, draft.traceparent || !traceparent ? draft : { ...draft, traceparent }),
  )
  if (envelopes.length === 0) return []
  // The events as one JSON array parameter: Postgres takes it apart (cheaper than array parameters,
  // whose every element the driver escapes).
  await tx.query(
    `WITH written AS (
       INSERT INTO trellis_outbox (event_id, type, key, envelope)
       SELECT (e->>'id')::uuid, e->>'type', e->>'key', e
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
       RETURNING 1
     ) SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM written LIMIT 1) w`,
    [JSON.stringify(envelopes)],
  )
  return envelopes
}

export interface OutboxStats {
  /** Events committed but not yet accepted by the transport. */
  pending: number
  /** Age of the oldest pending event, in seconds (0 when none). */
  oldestPendingS: number
}

export async function outboxStats(db: Queryable): Promise<OutboxStats> {
  const { rows } = await db.query<{ pending: string; oldest: number | null }>(
    `SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
     FROM trellis_outbox WHERE sent_at IS NULL`,
  )
  return { pending: Number(rows[0]?.pending ?? 0), oldestPendingS: Math.round(rows[0]?.oldest ?? 0) }
}

/** Forgets sent events older than the retention (they are kept a while for inspection). */
export async function purgeOutbox(db: Queryable, retentionHours: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM trellis_outbox WHERE sent_at < now() - make_interval(hours => $1)`,
    [retentionHours],
  )
  return rowCount ?? 0
}
