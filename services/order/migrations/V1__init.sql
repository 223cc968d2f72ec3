-- Orders. The place-order saga (state in trellis_saga_instances, same id)
-- moves status: PENDING → APPROVED, or PENDING → REJECTING → REJECTED;
-- a cancel: → CANCELLING → CANCELLED. One order per customer and
-- Idempotency-Key, forever: the same key never makes a second order.
CREATE TABLE orders (
  id               uuid        PRIMARY KEY,
  customer_id      text        NOT NULL,
  idempotency_key  text        NOT NULL,
  fingerprint      text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTING', 'REJECTED', 'CANCELLING', 'CANCELLED')),
  items            jsonb       NOT NULL,
  goods_cents      integer     NOT NULL CHECK (goods_cents >= 0),
  shipping         jsonb       NOT NULL,
  amount_cents     integer     NOT NULL CHECK (amount_cents >= 0),
  currency         text        NOT NULL,
  reason           text,
  failed_step      text,
  shipped_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  decided_at       timestamptz,
  UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX orders_customer ON orders (customer_id, created_at DESC);
