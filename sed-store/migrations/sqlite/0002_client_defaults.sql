-- speerd SED store, schema version 2, SQLite dialect (issue 20).
-- Keep in step with ../postgres/0002_client_defaults.sql.
--   - rate_per_second and burst may be NULL: the client follows [limits]
--     rate_per_second / rate_burst of the node's configuration (and a reload);
--     rows written before keep the rate they were written with;
--   - options: the client's default answer options and dial plan, in the
--     canonical `key=value&...` form of enum/client_options.hpp ('' = none).
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt. Dropping
-- the old table cascades to client_tree (ON DELETE CASCADE), so its rows are
-- kept aside and put back; peering_offer's references are checked at commit.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE client_v2 (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  cert_name       TEXT UNIQUE,
  spki_pin        TEXT UNIQUE CHECK (spki_pin IS NULL OR length(spki_pin) = 44),
  rate_per_second INTEGER CHECK (rate_per_second BETWEEN 1 AND 1000000),
  burst           INTEGER CHECK (burst BETWEEN 1 AND 1000000),
  enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  description     TEXT NOT NULL,
  options         TEXT NOT NULL DEFAULT '' CHECK (length(options) <= 256),
  CHECK (cert_name IS NOT NULL OR spki_pin IS NOT NULL),
  CHECK ((rate_per_second IS NULL) = (burst IS NULL))
) STRICT;

INSERT INTO client_v2 (id, name, cert_name, spki_pin, rate_per_second, burst, enabled, description)
  SELECT id, name, cert_name, spki_pin, rate_per_second, burst, enabled, description FROM client;

CREATE TEMP TABLE client_tree_kept AS SELECT client_id, tree FROM client_tree;
DROP TABLE client;
ALTER TABLE client_v2 RENAME TO client;
INSERT INTO client_tree (client_id, tree) SELECT client_id, tree FROM client_tree_kept;
DROP TABLE client_tree_kept;
