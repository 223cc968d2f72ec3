-- Shipments, one per order. created: a label exists and a carrier will
-- collect it; cancelled: withdrawn before dispatch; dispatched: on its way
-- (it can no longer be cancelled).
CREATE TABLE shipments (
  id            uuid        PRIMARY KEY,
  order_id      text        NOT NULL UNIQUE,
  country       text        NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  option        text        NOT NULL,
  weight_grams  integer     NOT NULL CHECK (weight_grams > 0),
  price_cents   integer     NOT NULL CHECK (price_cents >= 0),
  status        text        NOT NULL CHECK (status IN ('created', 'cancelled', 'dispatched')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
