-- Identity: accounts, sessions (refresh token families), the keys access
-- tokens are signed with, and merchants' API keys. Secrets are stored only
-- as hashes: passwords with argon2id, random tokens and keys with SHA-256.

CREATE TABLE users (
  id              uuid        PRIMARY KEY,
  email           text        NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash   text        NOT NULL,
  roles           text[]      NOT NULL CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['customer', 'merchant', 'admin']),
  -- The catalog merchant a merchant user acts for; another service's id, so no foreign key.
  merchant_id     uuid,
  disabled        boolean     NOT NULL DEFAULT false,
  failed_logins   integer     NOT NULL DEFAULT 0,
  last_failed_at  timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT ('merchant' = ANY (roles)) OR merchant_id IS NOT NULL)
);

-- A refresh token belongs to a family (one sign-in). Using it replaces it
-- with the next of the family; presenting a replaced one again means it
-- was stolen, and the whole family is revoked.
CREATE TABLE refresh_tokens (
  id          uuid        PRIMARY KEY,
  family_id   uuid        NOT NULL,
  user_id     uuid        NOT NULL REFERENCES users (id),
  secret_hash text        NOT NULL,
  replaced_by uuid,
  revoked_at  timestamptz,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Signing keys: the newest unretired one signs; a retired one stays in the
-- JWKS until every token it signed has expired. Its private half is erased
-- when it retires.
CREATE TABLE signing_keys (
  kid         text        PRIMARY KEY,
  private_jwk jsonb,
  public_jwk  jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- A new key is published in the JWKS before it signs anything, so verifiers have it by then.
  activates_at timestamptz NOT NULL DEFAULT now(),
  retired_at  timestamptz
);

CREATE TABLE api_keys (
  id          uuid        PRIMARY KEY,
  user_id     uuid        NOT NULL REFERENCES users (id),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  secret_hash text        NOT NULL,
  scopes      text[]      NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);
