-- Catalog: merchants sell products; a product has options (Size, Color, ...)
-- and one SKU per combination of option values, each with its own price.

-- Trigram index for name search; pg_trgm is a trusted extension, so the
-- database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE merchants (
  id         uuid        PRIMARY KEY,
  slug       text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  id          uuid        PRIMARY KEY,
  merchant_id uuid        NOT NULL REFERENCES merchants (id),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text        NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  category    text        NOT NULL CHECK (category ~ '^[a-z][a-z0-9-]{0,39}$'),
  status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  options     jsonb       NOT NULL DEFAULT '[]',
  version     integer     NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);
CREATE INDEX products_order ON products (lower(name), id);
CREATE INDEX products_merchant ON products (merchant_id);

CREATE TABLE skus (
  sku         text        PRIMARY KEY CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
  product_id  uuid        NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  options     jsonb       NOT NULL DEFAULT '{}',
  price_cents integer     NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
  currency    char(3)     NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  position    integer     NOT NULL DEFAULT 0
);
CREATE INDEX skus_product ON skus (product_id, position);
