-- speerd SED store, schema version 2, PostgreSQL dialect (issue 20).
-- Keep in step with ../sqlite/0002_client_defaults.sql: rate_per_second and
-- burst may be NULL (the client follows [limits]; both or neither, as
-- Store::apply writes them); options holds the client's default answer
-- options and dial plan ('' = none).
ALTER TABLE client ALTER COLUMN rate_per_second DROP NOT NULL;
ALTER TABLE client ALTER COLUMN burst DROP NOT NULL;
ALTER TABLE client ADD COLUMN options TEXT COLLATE "C" NOT NULL DEFAULT '' CHECK (length(options) <= 256);
