-- speerd SED store, schema version 6, SQLite dialect: TSIG keys of a client (issue 14, RFC 8945).
-- Keep in step with ../postgres/0006_client_tsig.sql.
-- A UDP/TCP client of the DNS front end may sign its queries: the key name
-- (a DNS name, lower case, trailing dot) names the key and so the client;
-- it is unique across clients. hmac-sha256 only. The secret is canonical
-- base64 of at least 32 bytes; speerctl never prints it after creation and
-- the audit log records key names only.
CREATE TABLE client_tsig_key (
  client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
  key_name  TEXT NOT NULL UNIQUE CHECK (length(key_name) BETWEEN 2 AND 255),
  algorithm TEXT NOT NULL CHECK (algorithm = 'hmac-sha256'),
  secret    TEXT NOT NULL CHECK (length(secret) BETWEEN 44 AND 1024),
  PRIMARY KEY (client_id, key_name)
) STRICT, WITHOUT ROWID;
-- 1: an unsigned query from the client's source prefixes is refused.
ALTER TABLE client ADD COLUMN tsig_required INTEGER NOT NULL DEFAULT 0
  CHECK (tsig_required IN (0, 1));
