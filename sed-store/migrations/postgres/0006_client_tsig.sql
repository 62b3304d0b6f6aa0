-- speerd SED store, schema version 6: TSIG keys of a client (issue 14, RFC 8945),
-- PostgreSQL dialect. Keep in step with ../sqlite/0006_client_tsig.sql: key
-- names unique across clients, hmac-sha256 only, canonical base64 secrets.
CREATE TABLE client_tsig_key (
  client_id BIGINT NOT NULL REFERENCES client (id) ON DELETE CASCADE,
  key_name  TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(key_name) BETWEEN 2 AND 255),
  algorithm TEXT NOT NULL CHECK (algorithm = 'hmac-sha256'),
  secret    TEXT NOT NULL CHECK (length(secret) BETWEEN 44 AND 1024),
  PRIMARY KEY (client_id, key_name)
);
ALTER TABLE client ADD COLUMN tsig_required INTEGER NOT NULL DEFAULT 0
  CHECK (tsig_required IN (0, 1));
