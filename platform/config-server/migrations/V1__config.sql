-- Every change is a revision (a version number, who, when, why) holding one
-- or more property changes. The current configuration is the newest change
-- of each property; nothing is ever updated in place, so history, diff and
-- rollback read the same table.
CREATE TABLE config_revision (
  version     bigserial   PRIMARY KEY,
  author      text        NOT NULL,
  message     text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- Set when the revision restores the properties as they were at this version.
  rollback_to bigint
);

CREATE TABLE config_change (
  version     bigint  NOT NULL REFERENCES config_revision (version),
  -- A service's name, or '*' for every application.
  application text    NOT NULL,
  -- 'default' applies to every profile.
  profile     text    NOT NULL,
  -- '' for every instance.
  instance    text    NOT NULL DEFAULT '',
  key         text    NOT NULL,
  secret      boolean NOT NULL,
  removed     boolean NOT NULL DEFAULT false,
  -- The new value of a plain setting; NULL for secrets and removals.
  value       jsonb,
  -- The new value of a secret, sealed with AES-256-GCM; never stored in clear.
  sealed      text,
  PRIMARY KEY (version, application, profile, instance, key),
  CHECK (removed OR (secret AND sealed IS NOT NULL AND value IS NULL) OR (NOT secret AND sealed IS NULL AND value IS NOT NULL)),
  CHECK (NOT removed OR (value IS NULL AND sealed IS NULL))
);
CREATE INDEX config_change_place ON config_change (application, profile, instance, key, version DESC);

-- What each application declared about its settings, published by its instances at start.
CREATE TABLE config_schema (
  application  text        PRIMARY KEY,
  app_version  text        NOT NULL,
  instance     text        NOT NULL,
  settings     jsonb       NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
