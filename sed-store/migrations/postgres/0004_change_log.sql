-- speerd SED store, schema version 4, PostgreSQL dialect (issue 12).
-- Keep in step with ../sqlite/0004_change_log.sql. The change log: per
-- write transaction (change_counter), what it touched, so that a node drops
-- only the cached answers a write can affect:
--   kind number | range | prefix | rn   a public identifier (value, value_end for a range)
--   kind destination_group             the group's provisioned SED changed (route groups,
--                                      SED records, offers name the groups they serve)
--   kind flush                         speerctl cache flush (value: +number or zone)
--   kind client | anchor               no cached answer (the client snapshot and the
--                                      trust anchors reload on their own)
--   kind all                           more than the log keeps per write (a bulk import)
-- Rows older than the last 10000 changes are pruned by the writers; a node
-- that finds a gap drops its whole cache.
CREATE TABLE change_log (
  change_counter BIGINT NOT NULL,
  kind           TEXT COLLATE "C" NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
  value          TEXT COLLATE "C" NOT NULL CHECK (length(value) <= 512),
  value_end      TEXT COLLATE "C" NOT NULL DEFAULT '' CHECK (length(value_end) <= 32)
);
CREATE INDEX change_log_counter ON change_log (change_counter);
