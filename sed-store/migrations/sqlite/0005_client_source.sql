-- speerd SED store, schema version 5, SQLite dialect: the source prefixes of a client (issue 14).
-- Keep in step with ../postgres/0005_client_source.sql.
-- The DNS front end knows a UDP/TCP client by the prefixes its queries come
-- from (canonical CIDR text, sed-store/prefix.hpp). A prefix belongs to one
-- client; prefixes of different lengths may nest (the longest wins).
CREATE TABLE client_source (
  client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
  prefix    TEXT NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 3 AND 50),
  PRIMARY KEY (client_id, prefix)
) STRICT, WITHOUT ROWID;
