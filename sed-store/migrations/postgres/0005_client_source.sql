-- speerd SED store, schema version 5: the source prefixes of a client (issue 14), PostgreSQL
-- dialect. Keep in step with ../sqlite/0005_client_source.sql: canonical CIDR
-- text (sed-store/prefix.hpp), one client per prefix, nesting allowed.
CREATE TABLE client_source (
  client_id BIGINT NOT NULL REFERENCES client (id) ON DELETE CASCADE,
  prefix    TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 3 AND 50),
  PRIMARY KEY (client_id, prefix)
);
