-- Inventory: stock per SKU. `reserved` is held for orders not yet shipped;
-- available = on_hand - reserved. The checks make "below zero" impossible
-- whatever the application does.
CREATE TABLE stock_items (
  sku                 text        PRIMARY KEY CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
  on_hand             integer     NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  reserved            integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
  low_stock_threshold integer     NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
  version             integer     NOT NULL DEFAULT 1,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_items_low ON stock_items (sku) WHERE on_hand - reserved <= low_stock_threshold;

-- Every change of on_hand, for audit and for explaining a number.
CREATE TABLE stock_movements (
  id            bigserial   PRIMARY KEY,
  sku           text        NOT NULL REFERENCES stock_items (sku),
  delta         integer     NOT NULL,
  reason        text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  on_hand_after integer     NOT NULL,
  request_id    text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_sku ON stock_movements (sku, id);
