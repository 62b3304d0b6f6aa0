-- speerd SED store, schema version 3, PostgreSQL dialect (issue 13).
-- Keep in step with ../sqlite/0003_operation_ids.sql.
-- Idempotent writes: Store::apply with an operation id records it here in the
-- same transaction as the write. A writer that lost its connection during
-- COMMIT (libpqxx in_doubt_error, a failover) retries with the same id: if
-- the first commit made it, the retry finds the row and does nothing more, so
-- a write is never applied twice. digest says what the operation was (a
-- reused id with another digest is refused). Rows older than
-- kOperationRetentionDays are pruned by later writes.
CREATE TABLE applied_operation (
  op_id          TEXT COLLATE "C" PRIMARY KEY CHECK (length(op_id) BETWEEN 1 AND 128),
  digest         TEXT COLLATE "C" NOT NULL CHECK (length(digest) <= 128),
  actor          TEXT COLLATE "C" NOT NULL,
  at             TEXT COLLATE "C" NOT NULL,
  change_counter BIGINT NOT NULL
);
CREATE INDEX applied_operation_at ON applied_operation (at);
