-- Demo accounts for local runs (applied when TRELLIS_SEED=true); the README lists them.
--   admin@trellis.local          admin-demo-pass     admin
--   alice@example.com            customer-demo-pass  customer
--   bob@example.com              customer-demo-pass  customer
--   northwind@example.com        merchant-demo-pass  merchant of Northwind Outfitters
--   kettle@example.com           merchant-demo-pass  merchant of Blue Kettle Coffee
--   pine@example.com             merchant-demo-pass  merchant of Paper & Pine
--   volt@example.com             merchant-demo-pass  merchant of Volt Electronics
-- Hashes are argon2id (m=19456 KiB, t=2, p=1), the service's defaults.
INSERT INTO users (id, email, name, password_hash, roles, merchant_id, created_at) VALUES
  ('0b7e1c52-7a57-4e8e-9f3e-5a1d6c2e9a01', 'admin@trellis.local', 'Ada Admin', '$argon2id$v=19$m=19456,t=2,p=1$LX+uKbm8n6ZbR0y3zKpJhw$kB/odrJdFvbg1DC0hsaqqrq/1Ruy8OcvD8k5NqgrxIc', ARRAY['admin'], NULL, '2026-01-01T08:00:00Z'),
  ('1c3f4d5e-8b9a-4c1d-9e2f-6a7b8c9d0e02', 'alice@example.com', 'Alice Customer', '$argon2id$v=19$m=19456,t=2,p=1$pKuJsbNM2pGhMtqfLvm0BQ$zAKwG91/VLcRzNtcre62TyOrJMaLEJC0uvdiyKJIYxA', ARRAY['customer'], NULL, '2026-01-01T08:00:00Z'),
  ('2d4e5f6a-9cab-4d2e-8f3a-7b8c9d0e1f03', 'bob@example.com', 'Bob Customer', '$argon2id$v=19$m=19456,t=2,p=1$pKuJsbNM2pGhMtqfLvm0BQ$zAKwG91/VLcRzNtcre62TyOrJMaLEJC0uvdiyKJIYxA', ARRAY['customer'], NULL, '2026-01-01T08:00:00Z'),
  ('3e5f6a7b-adbc-4e3f-9a4b-8c9d0e1f2a04', 'northwind@example.com', 'Nora Northwind', '$argon2id$v=19$m=19456,t=2,p=1$lvRk322M/aSqD0B9VUrAbA$F8f5GomHd4+PdnD6fV2UST4LzAYFncjp7BoXlu6AWQk', ARRAY['merchant'], 'afd7445b-c8c2-57f1-afb7-fddf4d9afacb', '2026-01-01T08:00:00Z'),
  ('4f6a7b8c-becd-4f4a-8b5c-9d0e1f2a3b05', 'kettle@example.com', 'Ken Kettle', '$argon2id$v=19$m=19456,t=2,p=1$lvRk322M/aSqD0B9VUrAbA$F8f5GomHd4+PdnD6fV2UST4LzAYFncjp7BoXlu6AWQk', ARRAY['merchant'], '24df5d40-5282-5d4c-8e0d-95279fc57582', '2026-01-01T08:00:00Z'),
  ('5a7b8c9d-cfde-4a5b-9c6d-0e1f2a3b4c06', 'pine@example.com', 'Pia Pine', '$argon2id$v=19$m=19456,t=2,p=1$lvRk322M/aSqD0B9VUrAbA$F8f5GomHd4+PdnD6fV2UST4LzAYFncjp7BoXlu6AWQk', ARRAY['merchant'], '4199b7c9-05a4-5676-a613-34904cbe0f19', '2026-01-01T08:00:00Z'),
  ('6b8c9d0e-daef-4b6c-8d7e-1f2a3b4c5d07', 'volt@example.com', 'Victor Volt', '$argon2id$v=19$m=19456,t=2,p=1$lvRk322M/aSqD0B9VUrAbA$F8f5GomHd4+PdnD6fV2UST4LzAYFncjp7BoXlu6AWQk', ARRAY['merchant'], 'e5c3fb4e-0759-59c1-8527-648eb8804b65', '2026-01-01T08:00:00Z')
ON CONFLICT DO NOTHING;
