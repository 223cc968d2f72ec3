-- One cart per customer: SKUs and quantities, never prices (a cart shows
-- the catalog's current price each time it is read).
CREATE TABLE cart_items (
  customer_id text        NOT NULL,
  sku         text        NOT NULL CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
  quantity    integer     NOT NULL CHECK (quantity BETWEEN 1 AND 100),
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, sku)
);

-- Checkouts by the customer's Idempotency-Key: the same key is the same order.
CREATE TABLE checkouts (
  customer_id     text        NOT NULL,
  idempotency_key text        NOT NULL,
  order_id        text        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, idempotency_key)
);
