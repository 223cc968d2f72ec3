-- Payments of the simulated provider: one per order. The status moves
-- authorized → captured → refunded, or authorized → voided; declined ones
-- are kept for the record. capture_count exists so that a double charge,
-- if it could ever happen, would show.
CREATE TABLE payments (
  id              uuid        PRIMARY KEY,
  order_id        text        NOT NULL UNIQUE,
  customer_id     text,
  amount_cents    integer     NOT NULL CHECK (amount_cents >= 0),
  currency        text        NOT NULL DEFAULT 'USD',
  status          text        NOT NULL CHECK (status IN ('declined', 'authorized', 'captured', 'voided', 'refunded')),
  decline_reason  text,
  capture_count   integer     NOT NULL DEFAULT 0,
  refund_count    integer     NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every call the provider answered, in order.
CREATE TABLE payment_operations (
  id          bigserial   PRIMARY KEY,
  payment_id  uuid        NOT NULL REFERENCES payments (id),
  operation   text        NOT NULL,
  outcome     text        NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_operations_payment ON payment_operations (payment_id, id);
