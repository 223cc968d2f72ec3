-- What would be sent (e-mail, push) in reaction to events, as a log: one
-- row per event (the event id is unique), so a redelivery sends nothing twice.
CREATE TABLE notifications (
  id          bigserial   PRIMARY KEY,
  event_id    uuid        NOT NULL UNIQUE,
  recipient   text        NOT NULL,
  kind        text        NOT NULL,
  subject     text        NOT NULL,
  ref         text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_recipient ON notifications (recipient, id DESC);
