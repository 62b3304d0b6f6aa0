-- speerd SED store, schema version 3, SQLite dialect (issue 13).
-- Keep in step with ../postgres/0003_operation_ids.sql (which says why).
CREATE TABLE applied_operation (
  op_id          TEXT PRIMARY KEY CHECK (length(op_id) BETWEEN 1 AND 128),
  digest         TEXT NOT NULL CHECK (length(digest) <= 128),
  actor          TEXT NOT NULL,
  at             TEXT NOT NULL,
  change_counter INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX applied_operation_at ON applied_operation (at);
