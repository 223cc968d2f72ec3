import { checksum, type Migration } from '../db/migrations.js'

/**
 * The kit's messaging tables in every service's own database, applied in
 * their own migration namespace (`kit-messaging`) before the service's
 * migrations: the outbox (events written in the service's transactions,
 * waiting for the relay), the inbox (ids of events this service has
 * handled: a redelivery has no second effect) and the dead letters.
 */
const OUTBOX_SQL = `
CREATE TABLE trellis_outbox (
  id         bigserial   PRIMARY KEY,
  event_id   uuid        NOT NULL,
  type       text        NOT NULL,
  key        text        NOT NULL,
  envelope   jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at    timestamptz,
  attempts   integer     NOT NULL DEFAULT 0,
  last_error text
);
-- The relay reads pending rows in order, and checks a key's earlier pending rows.
CREATE INDEX trellis_outbox_pending ON trellis_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX trellis_outbox_pending_key ON trellis_outbox (key, id) WHERE sent_at IS NULL;
CREATE INDEX trellis_outbox_sent ON trellis_outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE TABLE trellis_inbox (
  message_id uuid        PRIMARY KEY,
  type       text        NOT NULL,
  source     text        NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trellis_inbox_handled_at ON trellis_inbox (handled_at);

CREATE TABLE trellis_dead_letters (
  id           bigserial   PRIMARY KEY,
  message_id   uuid,
  type         text,
  body         text        NOT NULL,
  error        text        NOT NULL,
  attempts     integer     NOT NULL,
  dead_at      timestamptz NOT NULL DEFAULT now(),
  replayed_at  timestamptz,
  replay_count integer     NOT NULL DEFAULT 0
);
-- A message is a dead letter at most once at a time (a redelivery of one already stored adds nothing).
CREATE UNIQUE INDEX trellis_dead_letters_message ON trellis_dead_letters (message_id) WHERE replayed_at IS NULL;
`

// The relay takes turns under an advisory lock and reads the oldest pending rows: it no longer
// looks up a key's earlier pending rows, and the index for that only cost every insert.
const DROP_PENDING_KEY_SQL = `
DROP INDEX IF EXISTS trellis_outbox_pending_key;
`

export const MESSAGING_NAMESPACE = 'kit-messaging'

export const MESSAGING_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'outbox inbox dead letters',
    file: 'kit/messaging/V1__outbox_inbox_dead_letters.sql',
    sql: OUTBOX_SQL,
    checksum: checksum(OUTBOX_SQL),
  },
  {
    version: 2,
    description: 'drop outbox pending key index',
    file: 'kit/messaging/V2__drop_outbox_pending_key.sql',
    sql: DROP_PENDING_KEY_SQL,
    checksum: checksum(DROP_PENDING_KEY_SQL),
  },
]
