-- speerd SED store, schema version 1, SQLite dialect.
-- Runs inside one transaction together with the schema_version row.
-- Keep in step with ../postgres/0001_initial.sql (same tables, columns, checks).

-- Marks the file as a speerd store (checked in the header before anything
-- else opens it): 0x53505244 = "SPRD".
PRAGMA application_id = 1397772868;

CREATE TABLE schema_version (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT;

-- One row: what this database is, and the change counter every write bumps.
CREATE TABLE store_meta (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  application    TEXT NOT NULL CHECK (application = 'speerd-sed-store'),
  change_counter INTEGER NOT NULL CHECK (change_counter >= 0)
) STRICT;
INSERT INTO store_meta (id, application, change_counter) VALUES (1, 'speerd-sed-store', 0);

-- An SBE identity: certificate name and/or SPKI pin, scope and limits.
CREATE TABLE client (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  cert_name       TEXT UNIQUE,
  spki_pin        TEXT UNIQUE CHECK (spki_pin IS NULL OR length(spki_pin) = 44),
  rate_per_second INTEGER NOT NULL CHECK (rate_per_second BETWEEN 1 AND 1000000),
  burst           INTEGER NOT NULL CHECK (burst BETWEEN 1 AND 1000000),
  enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  description     TEXT NOT NULL,
  CHECK (cert_name IS NOT NULL OR spki_pin IS NOT NULL)
) STRICT;

-- The ENUM trees a client may query.
CREATE TABLE client_tree (
  client_id INTEGER NOT NULL REFERENCES client (id) ON DELETE CASCADE,
  tree      TEXT NOT NULL,
  PRIMARY KEY (client_id, tree)
) STRICT, WITHOUT ROWID;

CREATE TABLE destination_group (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL
) STRICT;

-- number | range [value, range_end] | prefix | rn (routing number), keyed by
-- (kind, value): WITHOUT ROWID, so an exact match is one B-tree search that
-- finds the whole row. len = length(value); ranges have equal-length bounds
-- and never overlap.
CREATE TABLE public_identifier (
  kind                 TEXT NOT NULL CHECK (kind IN ('number', 'range', 'prefix', 'rn')),
  value                TEXT NOT NULL CHECK (value NOT GLOB '*[^0-9]*'),
  destination_group_id INTEGER NOT NULL REFERENCES destination_group (id),
  len                  INTEGER NOT NULL CHECK (len = length(value) AND len BETWEEN 1 AND 15),
  range_end            TEXT CHECK (range_end NOT GLOB '*[^0-9]*'),
  PRIMARY KEY (kind, value),
  CHECK ((kind = 'range') = (range_end IS NOT NULL)),
  CHECK (range_end IS NULL OR (length(range_end) = len AND range_end >= value))
) STRICT, WITHOUT ROWID;
-- Range lookup: the range with the greatest start <= the number, same length
-- (covering: no second search for the row).
CREATE INDEX public_identifier_range
  ON public_identifier (len, value, range_end, destination_group_id) WHERE kind = 'range';
-- Listing by destination group, and "is this group still referenced" (the
-- primary key columns ride along in every index of a WITHOUT ROWID table).
CREATE INDEX public_identifier_group ON public_identifier (destination_group_id);

CREATE TABLE route_group (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  priority    INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 65535),
  enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  description TEXT NOT NULL
) STRICT;

-- Which destination groups a route group serves.
CREATE TABLE route_group_destination (
  destination_group_id INTEGER NOT NULL REFERENCES destination_group (id),
  route_group_id       INTEGER NOT NULL REFERENCES route_group (id) ON DELETE CASCADE,
  PRIMARY KEY (destination_group_id, route_group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX route_group_destination_rg ON route_group_destination (route_group_id);

-- SED: a URI (host/port/transport derived from it) or a next hop. uri is ''
-- for next hops; port 0 = not set; transport '' = any.
CREATE TABLE sed_record (
  id             INTEGER PRIMARY KEY,
  route_group_id INTEGER NOT NULL REFERENCES route_group (id),
  kind           TEXT NOT NULL CHECK (kind IN ('uri', 'next-hop')),
  uri            TEXT NOT NULL,
  host           TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
  port           INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  transport      TEXT NOT NULL CHECK (transport IN ('', 'udp', 'tcp', 'tls', 'sctp', 'ws', 'wss')),
  priority       INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 65535),
  CHECK ((kind = 'uri') = (uri <> ''))
) STRICT;
CREATE UNIQUE INDEX sed_record_key ON sed_record (route_group_id, uri, host, port, transport);
CREATE INDEX sed_record_rg ON sed_record (route_group_id, priority, id);
CREATE INDEX sed_record_host ON sed_record (host);

-- Which client may see which route group.
CREATE TABLE peering_offer (
  id             INTEGER PRIMARY KEY,
  route_group_id INTEGER NOT NULL REFERENCES route_group (id),
  client_id      INTEGER NOT NULL REFERENCES client (id),
  UNIQUE (route_group_id, client_id)
) STRICT;
CREATE INDEX peering_offer_client ON peering_offer (client_id);

CREATE TABLE trust_anchor (
  id       INTEGER PRIMARY KEY,
  zone     TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('DS', 'DNSKEY')),
  rr       TEXT NOT NULL UNIQUE,
  key_tag  INTEGER NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
  state    TEXT NOT NULL CHECK (state IN ('active', 'inactive')),
  added_by TEXT NOT NULL,
  added_at TEXT NOT NULL
) STRICT;
CREATE INDEX trust_anchor_zone ON trust_anchor (zone);

-- Every change: who, when, what, before and after (JSON text).
CREATE TABLE audit (
  id             INTEGER PRIMARY KEY,
  at             TEXT NOT NULL,
  actor          TEXT NOT NULL,
  action         TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  object_type    TEXT NOT NULL,
  object_key     TEXT NOT NULL,
  before         TEXT,
  after          TEXT,
  change_counter INTEGER NOT NULL
) STRICT;
-- (no index on at: audit listings go newest first by id)
