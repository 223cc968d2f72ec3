import { checksum, type Migration } from '../db/migrations.js'

/**
 * The kit's saga tables, in the service's own database (namespace
 * `kit-sagas`): on an orchestrator, its saga instances and each one's step
 * history; on a participant, what it did for each saga step, so that a
 * command delivered twice is answered from the record and a compensation
 * that overtook its action makes the action refuse.
 */
const SAGA_SQL = `
CREATE TABLE trellis_saga_instances (
  id          text        PRIMARY KEY,
  saga        text        NOT NULL,
  status      text        NOT NULL CHECK (status IN ('running', 'compensating', 'completed', 'compensated')),
  step        integer     NOT NULL,
  command_id  uuid,
  attempt     integer     NOT NULL DEFAULT 1,
  data        jsonb       NOT NULL,
  results     jsonb       NOT NULL DEFAULT '{}',
  failure     jsonb,
  deadline_at timestamptz,
  started_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- The engine's timeout poll: instances whose awaited reply is late.
CREATE INDEX trellis_saga_instances_deadline ON trellis_saga_instances (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX trellis_saga_instances_status ON trellis_saga_instances (status, started_at);

CREATE TABLE trellis_saga_history (
  id        bigserial   PRIMARY KEY,
  saga_id   text        NOT NULL REFERENCES trellis_saga_instances (id) ON DELETE CASCADE,
  step      text        NOT NULL,
  kind      text        NOT NULL,
  event     text        NOT NULL,
  detail    jsonb,
  at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX trellis_saga_history_saga ON trellis_saga_history (saga_id, id);

CREATE TABLE trellis_saga_participation (
  saga_id             text        NOT NULL,
  step                text        NOT NULL,
  action_reply        jsonb,
  action_at           timestamptz,
  compensation_reply  jsonb,
  compensated_at      timestamptz,
  PRIMARY KEY (saga_id, step)
);
`

export const SAGA_NAMESPACE = 'kit-sagas'

export const SAGA_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'saga instances history participation',
    file: 'kit/sagas/V1__saga_instances_history_participation.sql',
    sql: SAGA_SQL,
    checksum: checksum(SAGA_SQL),
  },
]
