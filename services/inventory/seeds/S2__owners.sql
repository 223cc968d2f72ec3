-- Owners of the seeded stock: the merchant that sells each SKU in the seeded catalogue.
-- Only rows still without an owner are touched, so a local change survives a restart.
-- Northwind Outfitters
UPDATE stock_items SET owner_merchant_id = 'afd7445b-c8c2-57f1-afb7-fddf4d9afacb' WHERE owner_merchant_id IS NULL AND sku IN (
  'TEE-BLACK-S', 'TEE-BLACK-M', 'TEE-BLACK-L', 'TEE-WHITE-S', 'TEE-WHITE-M', 'TEE-WHITE-L', 'TEE-NAVY-S', 'TEE-NAVY-M', 'TEE-NAVY-L', 'HOOD-GREY-M', 'HOOD-GREY-L', 'HOOD-FORES-M', 'HOOD-FORES-L', 'BEANIE-CHARC', 'BEANIE-RUST', 'SOCK-M', 'SOCK-L', 'JACKET-S', 'JACKET-M', 'JACKET-L', 'CAP', 'PACK-BLACK', 'PACK-OLIVE', 'SCARF'
);
-- Blue Kettle Coffee
UPDATE stock_items SET owner_merchant_id = '24df5d40-5282-5d4c-8e0d-95279fc57582' WHERE owner_merchant_id IS NULL AND sku IN (
  'ESP-WHOLE-250G', 'ESP-WHOLE-1KG', 'ESP-ESPRE-250G', 'ESP-ESPRE-1KG', 'ETH-WHOLE-250G', 'ETH-FILTE-250G', 'COL-WHOLE-250G', 'COL-WHOLE-1KG', 'COL-FILTE-250G', 'COL-FILTE-1KG', 'DECAF-250G', 'SENCHA-100G', 'EARL-100G', 'DRIP-WHITE', 'DRIP-BLACK', 'GRIND'
);
-- Paper & Pine
UPDATE stock_items SET owner_merchant_id = '4199b7c9-05a4-5676-a613-34904cbe0f19' WHERE owner_merchant_id IS NULL AND sku IN (
  'NOTE-BLACK', 'NOTE-SAGE', 'NOTE-TERRA', 'PLAN', 'PEN-F', 'PEN-M', 'INK-BLUEB', 'INK-SEPIA', 'INK-TEAL', 'PENCIL', 'CARD', 'DESKPAD-GREY', 'DESKPAD-BLUE', 'STAMP'
);
-- Volt Electronics
UPDATE stock_items SET owner_merchant_id = 'e5c3fb4e-0759-59c1-8527-648eb8804b65' WHERE owner_merchant_id IS NULL AND sku IN (
  'CABLE-1M', 'CABLE-2M', 'CHARGER', 'BANK-BLACK', 'BANK-WHITE', 'EARBUDS-BLACK', 'EARBUDS-WHITE', 'SPEAKER-BLACK', 'SPEAKER-RED', 'SPEAKER-BLUE', 'HUB', 'MOUSE-GRAPH', 'MOUSE-ROSE', 'KEYB-BROWN', 'KEYB-RED'
);
