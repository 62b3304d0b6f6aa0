-- speerd SED store, schema version 2, SQLite dialect (issue 20).
-- Keep in step with ../postgres/0002_client_defaults.sql.
--   - rate_per_second and burst may be NULL: the client follows [limits]
--     rate_per_second / rate_burst of the node's configuration (and a reload);
--     rows written before keep the rate they were written with. Both or
--     neither are NULL (Store::apply writes them so);
--   - options: the client's default answer options and dial plan, in the
--     canonical `key=value&...` form of enum/client_options.hpp ('' = none).
-- SQLite cannot drop a NOT NULL constraint, and rebuilding the table would
-- cascade into client_tree and trip peering_offer's foreign key: each column
-- is renamed, re-added without NOT NULL, copied and dropped instead.
ALTER TABLE client RENAME COLUMN rate_per_second TO rate_per_second_v1;
ALTER TABLE client ADD COLUMN rate_per_second INTEGER
  CHECK (rate_per_second BETWEEN 1 AND 1000000);
UPDATE client SET rate_per_second = rate_per_second_v1;
ALTER TABLE client DROP COLUMN rate_per_second_v1;

ALTER TABLE client RENAME COLUMN burst TO burst_v1;
ALTER TABLE client ADD COLUMN burst INTEGER CHECK (burst BETWEEN 1 AND 1000000);
UPDATE client SET burst = burst_v1;
ALTER TABLE client DROP COLUMN burst_v1;

ALTER TABLE client ADD COLUMN options TEXT NOT NULL DEFAULT '' CHECK (length(options) <= 256);
