import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { v7 as uuidv7 } from 'uuid'
import { MessagingErrors } from './messaging-errors.js'

/**
 * The envelope every event travels in, on every transport, as JSON. The
 * schema is open (`additionalProperties`): consumers are tolerant readers,
 * so a field added later never breaks an older consumer.
 *
 * Evolution rule: within one `type` and `version`, only add optional fields
 * to `data`. To change the meaning or shape of a field, publish a new
 * `version` (and, while consumers migrate, both versions).
 */
export const EVENT_TYPE_PATTERN = '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*){2,}$'
const EVENT_TYPE = new RegExp(EVENT_TYPE_PATTERN)

export const EnvelopeSchema = Type.Object({
  /** UUIDv7: unique, and sortable by creation time. */
  id: Type.String({
    pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  }),
  /** `<source>.<entity>.<what happened>`, lower case, e.g. `catalog.product.created`. */
  type: Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 200 }),
  /** The publishing service. */
  source: Type.String({ minLength: 1, maxLength: 100 }),
  /** The aggregate the event is about; events of one key keep their order. */
  key: Type.String({ minLength: 1, maxLength: 200 }),
  occurredAt: Type.String({ minLength: 1 }),
  version: Type.Integer({ minimum: 1 }),
  /** W3C trace context of the publishing request, when there is one. */
  traceparent: Type.Optional(Type.String({ maxLength: 200 })),
  data: Type.Unknown(),
})

export type Envelope<D = unknown> = Omit<Static<typeof EnvelopeSchema>, 'data'> & { data: D }

/** What a service passes to `publish`: the kit fills in id, source and time. */
export interface EventDraft<D = unknown> {
  type: string
  key: string
  data: D
  /** 1 unless the type's shape or meaning changed. */
  version?: number
  traceparent?: string
  /** Only to re-publish an event under its original id. */
  id?: string
  occurredAt?: string
}

export function createEnvelope<D>(source: string, draft: EventDraft<D>): Envelope<D> {
  if (typeof draft.type !== 'string' || !EVENT_TYPE.test(draft.type))
    throw MessagingErrors.eventInvalid(
      `type ${JSON.stringify(draft.type)} is not <source>.<entity>.<event> in lower case`,
    )
  if (typeof draft.key !== 'string' || draft.key.length === 0 || draft.key.length > 200)
    throw MessagingErrors.eventInvalid(`key ${JSON.stringify(draft.key)} must be 1 to 200 characters`)
  if (draft.data === undefined) throw MessagingErrors.eventInvalid(`event ${draft.type} has no data`)
  const envelope: Envelope<D> = {
    id: draft.id ?? uuidv7(),
    type: draft.type,
    source,
    key: draft.key,
    occurredAt: draft.occurredAt ?? new Date().toISOString(),
    version: draft.version ?? 1,
    ...(draft.traceparent ? { traceparent: draft.traceparent } : {}),
    data: draft.data,
  }
  if (!Value.Check(EnvelopeSchema, envelope)) throw MessagingErrors.eventInvalid(firstProblem(envelope))
  return envelope
}

/** Reads a message body; throws TRELLIS_MESSAGING_ENVELOPE_INVALID when it is not an envelope. */
export function parseEnvelope(body: string | Uint8Array): Envelope {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw MessagingErrors.envelopeInvalid('not JSON')
  }
  if (!Value.Check(EnvelopeSchema, value)) throw MessagingErrors.envelopeInvalid(firstProblem(value))
  return value as Envelope
}

function firstProblem(value: unknown): string {
  const [error] = Value.Errors(EnvelopeSchema, value)
  return error ? `${error.path || '/'} ${error.message}` : 'does not fit the envelope schema'
}
