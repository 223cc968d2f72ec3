import { checksum, type Migration } from '../../db/migrations.js'

/**
 * The Postgres transport's tables, in the broker database (its own
 * database and role, like a service's). A published message is stored once;
 * each consumer group bound to its type gets a delivery row, which a
 * consumer claims (`FOR UPDATE SKIP LOCKED`, a lease in `visible_at`) and
 * deletes when done. The message goes when no delivery needs it.
 */
const SCHEMA_SQL = `
CREATE TABLE trellis_broker_messages (
  id           bigserial   PRIMARY KEY,
  event_id     uuid        NOT NULL UNIQUE,
  type         text        NOT NULL,
  key          text        NOT NULL,
  body         text        NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trellis_broker_messages_published ON trellis_broker_messages (published_at);

CREATE TABLE trellis_broker_bindings (
  group_name text        NOT NULL,
  pattern    text        NOT NULL,
  regex      text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_name, pattern)
);

CREATE TABLE trellis_broker_deliveries (
  group_name text        NOT NULL,
  message_id bigint      NOT NULL REFERENCES trellis_broker_messages (id) ON DELETE CASCADE,
  key        text        NOT NULL,
  deliveries integer     NOT NULL DEFAULT 0,
  visible_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_name, message_id)
);
-- A key's deliveries in order.
CREATE INDEX trellis_broker_deliveries_key ON trellis_broker_deliveries (group_name, key, message_id);
CREATE INDEX trellis_broker_deliveries_message ON trellis_broker_deliveries (message_id);
-- Which keys a consumer holds right now: the few rows whose lease runs.
CREATE INDEX trellis_broker_deliveries_visible ON trellis_broker_deliveries (group_name, visible_at);
`

export const BROKER_NAMESPACE = 'broker'
export const BROKER_CHANNEL = 'trellis_broker'

export const BROKER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'messages bindings deliveries',
    file: 'kit/broker/V1__messages_bindings_deliveries.sql',
    sql: SCHEMA_SQL,
    checksum: checksum(SCHEMA_SQL),
  },
]
