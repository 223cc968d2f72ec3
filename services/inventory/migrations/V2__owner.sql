-- Each stock record belongs to the merchant that sells the SKU: set when a
-- merchant creates the record, used to keep merchants to their own stock.
-- NULL: created by an admin for no merchant (only admins see it).
ALTER TABLE stock_items ADD COLUMN owner_merchant_id uuid;
CREATE INDEX stock_items_owner ON stock_items (owner_merchant_id, sku);
