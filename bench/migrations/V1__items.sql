-- bench:observability's service reads one row per request, as a typical service does.
CREATE TABLE items (
  id integer PRIMARY KEY,
  name text NOT NULL,
  price_cents integer NOT NULL
);
INSERT INTO items (id, name, price_cents)
SELECT n, 'item ' || n, 100 + n FROM generate_series(1, 1000) AS n;
