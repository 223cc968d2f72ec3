-- Stock held for orders by the place-order saga: one row per order and SKU.
-- reserved: counted in stock_items.reserved; committed: taken from on_hand
-- (sold); released: given back (from reserved, or to on_hand after a commit).
CREATE TABLE reservations (
  order_id     text        NOT NULL,
  sku          text        NOT NULL REFERENCES stock_items (sku),
  quantity     integer     NOT NULL CHECK (quantity > 0),
  status       text        NOT NULL CHECK (status IN ('reserved', 'committed', 'released')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, sku)
);
CREATE INDEX reservations_live ON reservations (sku) WHERE status = 'reserved';

-- Choreography: a SKU that fell to or below its threshold after a sale is flagged once until restocked.
CREATE TABLE low_stock_alerts (
  sku         text        PRIMARY KEY REFERENCES stock_items (sku),
  available   integer     NOT NULL,
  threshold   integer     NOT NULL,
  order_id    text,
  flagged_at  timestamptz NOT NULL DEFAULT now()
);
