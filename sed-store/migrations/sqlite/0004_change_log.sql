-- speerd SED store, schema version 4, SQLite dialect (issue 12).
-- Keep in step with ../postgres/0004_change_log.sql (which says what the
-- kinds mean): per write transaction, what it touched.
CREATE TABLE change_log (
  change_counter INTEGER NOT NULL,
  kind           TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
  value          TEXT NOT NULL CHECK (length(value) <= 512),
  value_end      TEXT NOT NULL DEFAULT '' CHECK (length(value_end) <= 32)
);
CREATE INDEX change_log_counter ON change_log (change_counter);
