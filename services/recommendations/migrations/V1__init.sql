-- "Bought together": for each pair of SKUs, how many approved orders held
-- both (stored both ways, so a SKU's partners are one index scan).
CREATE TABLE bought_together (
  sku        text    NOT NULL,
  other_sku  text    NOT NULL,
  orders     integer NOT NULL DEFAULT 0,
  PRIMARY KEY (sku, other_sku)
);
CREATE INDEX bought_together_top ON bought_together (sku, orders DESC);

-- Units sold per SKU, from approved orders.
CREATE TABLE sales (
  sku    text    PRIMARY KEY,
  units  integer NOT NULL DEFAULT 0,
  orders integer NOT NULL DEFAULT 0
);
