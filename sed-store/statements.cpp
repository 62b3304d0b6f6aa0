// Every SQL statement of the SED store. Constant text only: values are bound
// parameters ($1..$n, named parameters in SQLite) and nothing here is ever
// assembled at run time. tests/sed-store/test_sql_hygiene.cpp checks that the
// sources keep it that way.
#include "sed-store/statements.hpp"

namespace speerd::store::detail {
namespace {

struct Def {
  Stmt id;
  const char* name;
  const char* sqlite;    // nullptr: nothing to run in SQLite
  const char* postgres;  // nullptr: nothing to run in PostgreSQL
};

constexpr Def both(Stmt id, const char* name, const char* sql) {
  return {id, name, sql, sql};
}

// Column lists shared by several statements (the readers in sql_store.cpp
// depend on these orders).
#define SPEERD_CLIENT_COLS                                                               \
  "SELECT id, name, cert_name, spki_pin, rate_per_second, burst, enabled, description, " \
  "options, tsig_required FROM "                                                         \
  "client "
#define SPEERD_SED_COLS                                                                    \
  "SELECT s.id, rg.id, rg.name, rg.priority, s.kind, s.uri, s.host, s.port, s.transport, " \
  "s.priority "
#define SPEERD_TA_COLS \
  "SELECT id, zone, kind, rr, key_tag, state, added_by, added_at FROM trust_anchor "
#define SPEERD_RG_COLS "SELECT id, name, priority, enabled, description FROM route_group "
#define SPEERD_IDENT_COLS                                        \
  "SELECT d.name, p.kind, p.value, p.range_end "                 \
  "FROM public_identifier p JOIN destination_group d ON d.id = " \
  "p.destination_group_id "

constexpr Def kDefs[] = {
    // ---- opening, schema, meta --------------------------------------------
    // PostgreSQL session: no NOTICEs on stderr (CREATE ... IF NOT EXISTS), and
    // enough memory to sort an import batch without spilling to disk.
    {Stmt::kSessionSetup, "session_setup", nullptr,
     "SELECT set_config('client_min_messages', 'warning', false), "
     "set_config('work_mem', '256MB', false)"},
    // PostgreSQL session: a statement that runs longer (a lock wait included)
    // is cancelled (OpenOptions::statement_timeout_ms; the resolver's reads).
    {Stmt::kStatementTimeout, "statement_timeout", nullptr,
     "SELECT set_config('statement_timeout', CAST($1 AS TEXT), false)"},
    {Stmt::kCountSpeerdTables, "count_speerd_tables",
     "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
     "AND name IN ('schema_version', 'store_meta')",
     "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
     "AND table_name IN ('schema_version', 'store_meta')"},
    {Stmt::kCountAllTables, "count_all_tables",
     "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
     "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"},
    both(Stmt::kSchemaVersion, "schema_version", "SELECT max(version) FROM schema_version"),
    both(Stmt::kSchemaInsert, "schema_insert",
         "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)"),
    // Serializes concurrent migrations of one database (SQLite: BEGIN IMMEDIATE does).
    {Stmt::kMigrationLock, "migration_lock", nullptr, "SELECT pg_advisory_xact_lock(7370651001)"},
    both(Stmt::kMetaRead, "meta_read",
         "SELECT application, change_counter FROM store_meta WHERE id = 1"),
    both(Stmt::kBumpCounter, "bump_counter",
         "UPDATE store_meta SET change_counter = change_counter + 1 WHERE id = 1 "
         "RETURNING change_counter"),
    {Stmt::kNotify, "notify", nullptr, "SELECT pg_notify('speerd_store', $1)"},
    both(Stmt::kCounts, "counts",
         "SELECT (SELECT count(*) FROM client), (SELECT count(*) FROM destination_group), "
         "(SELECT count(*) FROM public_identifier), (SELECT count(*) FROM route_group), "
         "(SELECT count(*) FROM sed_record), (SELECT count(*) FROM peering_offer), "
         "(SELECT count(*) FROM trust_anchor), (SELECT count(*) FROM audit)"),

    // ---- lookups ------------------------------------------------------------
    both(Stmt::kFindExact, "find_exact",
         "SELECT destination_group_id, value, range_end FROM public_identifier "
         "WHERE kind = $1 AND value = $2"),
    // The range with the greatest start <= the number among ranges of its
    // length; ranges never overlap, so it is the only candidate (the caller
    // checks range_end).
    both(Stmt::kFindRange, "find_range",
         "SELECT destination_group_id, value, range_end FROM public_identifier "
         "WHERE kind = 'range' AND len = $1 AND value <= $2 ORDER BY value DESC LIMIT 1"),
    // Every prefix of the number (unused parameters are NULL); the longest wins.
    both(Stmt::kFindPrefix, "find_prefix",
         "SELECT destination_group_id, value, range_end FROM public_identifier "
         "WHERE kind = 'prefix' AND value IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
         "$12, $13, $14, $15) ORDER BY len DESC LIMIT 1"),
    // The greatest prefix <= $1 (SQLite's walk in find_destination).
    both(Stmt::kFindPrefixAtMost, "find_prefix_at_most",
         "SELECT destination_group_id, value, range_end FROM public_identifier "
         "WHERE kind = 'prefix' AND value <= $1 ORDER BY value DESC LIMIT 1"),
    both(Stmt::kRoutes, "routes",
         SPEERD_SED_COLS ", dg.name FROM destination_group dg "
                         "JOIN route_group_destination rgd ON rgd.destination_group_id = dg.id "
                         "JOIN route_group rg ON rg.id = rgd.route_group_id AND rg.enabled = 1 "
                         "JOIN peering_offer po ON po.route_group_id = rg.id AND po.client_id = $2 "
                         "JOIN client c ON c.id = po.client_id AND c.enabled = 1 "
                         "JOIN sed_record s ON s.route_group_id = rg.id "
                         "WHERE dg.id = $1 ORDER BY rg.priority, rg.name, s.priority, s.id"),
    both(Stmt::kProvisionedTarget, "provisioned_target",
         "SELECT s.id FROM route_group_destination rgd "
         "JOIN route_group rg ON rg.id = rgd.route_group_id AND rg.enabled = 1 "
         "JOIN sed_record s ON s.route_group_id = rg.id "
         "WHERE rgd.destination_group_id = $1 AND s.host = $2 LIMIT 1"),
    both(Stmt::kRoutesToHost, "routes_to_host",
         SPEERD_SED_COLS "FROM sed_record s "
                         "JOIN route_group rg ON rg.id = s.route_group_id AND rg.enabled = 1 "
                         "JOIN peering_offer po ON po.route_group_id = rg.id AND po.client_id = $2 "
                         "JOIN client c ON c.id = po.client_id AND c.enabled = 1 "
                         "WHERE s.host = $1 ORDER BY rg.priority, rg.name, s.priority, s.id"),

    // ---- client ---------------------------------------------------------------
    both(Stmt::kClientByName, "client_by_name", SPEERD_CLIENT_COLS "WHERE name = $1"),
    both(Stmt::kClientByCert, "client_by_cert", SPEERD_CLIENT_COLS "WHERE cert_name = $1"),
    both(Stmt::kClientByPin, "client_by_pin", SPEERD_CLIENT_COLS "WHERE spki_pin = $1"),
    both(Stmt::kClientList, "client_list", SPEERD_CLIENT_COLS "ORDER BY name"),
    both(Stmt::kClientTrees, "client_trees",
         "SELECT tree FROM client_tree WHERE client_id = $1 ORDER BY tree"),
    both(Stmt::kClientTreesAll, "client_trees_all",
         "SELECT client_id, tree FROM client_tree ORDER BY client_id, tree"),
    both(Stmt::kClientInsert, "client_insert",
         "INSERT INTO client (name, cert_name, spki_pin, rate_per_second, burst, enabled, "
         "description, options, tsig_required) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
         "RETURNING id"),
    both(Stmt::kClientUpdate, "client_update",
         "UPDATE client SET cert_name = $2, spki_pin = $3, rate_per_second = $4, burst = $5, "
         "enabled = $6, description = $7, options = $8, tsig_required = $9 WHERE id = $1"),
    both(Stmt::kClientDelete, "client_delete", "DELETE FROM client WHERE id = $1"),
    both(Stmt::kClientTreeInsert, "client_tree_insert",
         "INSERT INTO client_tree (client_id, tree) VALUES ($1, $2)"),
    both(Stmt::kClientTreeClear, "client_tree_clear",
         "DELETE FROM client_tree WHERE client_id = $1"),
    both(Stmt::kClientSources, "client_sources",
         "SELECT prefix FROM client_source WHERE client_id = $1 ORDER BY prefix"),
    both(Stmt::kClientSourcesAll, "client_sources_all",
         "SELECT client_id, prefix FROM client_source ORDER BY client_id, prefix"),
    both(Stmt::kClientSourceInsert, "client_source_insert",
         "INSERT INTO client_source (client_id, prefix) VALUES ($1, $2)"),
    both(Stmt::kClientSourceClear, "client_source_clear",
         "DELETE FROM client_source WHERE client_id = $1"),
    both(Stmt::kClientSourceOwner, "client_source_owner",
         "SELECT c.name FROM client_source s JOIN client c ON c.id = s.client_id "
         "WHERE s.prefix = $1 AND s.client_id <> $2"),
    both(Stmt::kClientTsigKeys, "client_tsig_keys",
         "SELECT key_name, algorithm, secret FROM client_tsig_key WHERE client_id = $1 "
         "ORDER BY key_name"),
    both(Stmt::kClientTsigKeysAll, "client_tsig_keys_all",
         "SELECT client_id, key_name, algorithm, secret FROM client_tsig_key "
         "ORDER BY client_id, key_name"),
    both(Stmt::kClientTsigInsert, "client_tsig_insert",
         "INSERT INTO client_tsig_key (client_id, key_name, algorithm, secret) "
         "VALUES ($1, $2, $3, $4)"),
    both(Stmt::kClientTsigDelete, "client_tsig_delete",
         "DELETE FROM client_tsig_key WHERE client_id = $1 AND key_name = $2"),
    both(Stmt::kClientTsigOwner, "client_tsig_owner",
         "SELECT c.name FROM client_tsig_key k JOIN client c ON c.id = k.client_id "
         "WHERE k.key_name = $1"),
    both(Stmt::kClientOfferCount, "client_offer_count",
         "SELECT count(*) FROM peering_offer WHERE client_id = $1"),

    // ---- destination_group --------------------------------------------------
    both(Stmt::kDgByName, "dg_by_name",
         "SELECT id, name, description FROM destination_group WHERE name = $1"),
    both(Stmt::kDgList, "dg_list",
         "SELECT id, name, description FROM destination_group ORDER BY name"),
    both(Stmt::kDgInsert, "dg_insert",
         "INSERT INTO destination_group (name, description) VALUES ($1, $2) RETURNING id"),
    both(Stmt::kDgDelete, "dg_delete", "DELETE FROM destination_group WHERE id = $1"),
    both(Stmt::kDgHasIdentifier, "dg_has_identifier",
         "SELECT 1 FROM public_identifier WHERE destination_group_id = $1 LIMIT 1"),
    both(Stmt::kDgServedBy, "dg_served_by",
         "SELECT rg.name FROM route_group_destination rgd "
         "JOIN route_group rg ON rg.id = rgd.route_group_id "
         "WHERE rgd.destination_group_id = $1 ORDER BY rg.name LIMIT 5"),

    // ---- public_identifier ----------------------------------------------------
    // The staging table is per connection (TEMP) and emptied before each use.
    {Stmt::kStageCreate, "stage_create",
     "CREATE TEMP TABLE IF NOT EXISTS stage_identifier (ord INTEGER PRIMARY KEY, "
     "dg_id INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, range_end TEXT)",
     "CREATE TEMP TABLE IF NOT EXISTS stage_identifier (ord BIGINT PRIMARY KEY, "
     "dg_id BIGINT NOT NULL, kind TEXT COLLATE \"C\" NOT NULL, value TEXT COLLATE \"C\" NOT NULL, "
     "range_end TEXT COLLATE \"C\")"},
    both(Stmt::kStageClear, "stage_clear", "DELETE FROM stage_identifier"),
    both(Stmt::kStageInsert, "stage_insert",
         "INSERT INTO stage_identifier (ord, dg_id, kind, value, range_end) "
         "VALUES ($1, $2, $3, $4, $5)"),
    {Stmt::kStageAnalyze, "stage_analyze", nullptr, "ANALYZE stage_identifier"},
    // The first staged row that exists already (run only after the insert
    // failed on the primary key). EXISTS, so that both planners probe the key
    // per staged row instead of scanning the stored identifiers; ord is the
    // staging table's key, so the scan stops at the first hit.
    both(Stmt::kStageFindExisting, "stage_find_existing",
         "SELECT s.ord FROM stage_identifier s WHERE EXISTS (SELECT 1 FROM public_identifier p "
         "WHERE p.kind = s.kind AND p.value = s.value) ORDER BY s.ord LIMIT 1"),
    // For each staged range, the stored range with the greatest start <= its
    // end; stored ranges are disjoint, so if any overlaps, that one does.
    both(Stmt::kStageFindRangeOverlap, "stage_find_range_overlap",
         "SELECT s.ord, p.value, p.range_end FROM stage_identifier s "
         "JOIN public_identifier p ON p.kind = 'range' AND p.value = (SELECT q.value "
         "FROM public_identifier q WHERE q.kind = 'range' AND q.len = length(s.value) "
         "AND q.value <= s.range_end ORDER BY q.value DESC LIMIT 1) "
         "WHERE s.kind = 'range' AND p.range_end >= s.value ORDER BY s.ord LIMIT 1"),
    // SQLite backs out a failed statement by itself; PostgreSQL aborts the
    // transaction unless a savepoint catches the failure.
    {Stmt::kSavepoint, "savepoint", nullptr, "SAVEPOINT stage_apply"},
    // Inserted in key order: index pages fill sequentially.
    both(Stmt::kStageApply, "stage_apply",
         "INSERT INTO public_identifier (kind, value, destination_group_id, len, range_end) "
         "SELECT kind, value, dg_id, length(value), range_end FROM stage_identifier "
         "ORDER BY kind, value"),
    {Stmt::kRollbackToSavepoint, "rollback_to_savepoint", nullptr,
     "ROLLBACK TO SAVEPOINT stage_apply"},
    {Stmt::kReleaseSavepoint, "release_savepoint", nullptr, "RELEASE SAVEPOINT stage_apply"},
    // One audit row per identifier, in change order. The JSON is the one
    // to_json(PublicIdentifier) writes (the audit test compares them); it is
    // assembled from a validated name ([A-Za-z0-9._-]) and digits, which need
    // no JSON escaping. The || here joins column values inside this constant
    // statement: no SQL text is built.
    both(Stmt::kStageAudit, "stage_audit",
         "INSERT INTO audit (at, actor, action, object_type, object_key, before, after, "
         "change_counter) SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), 'create', "
         "'public_identifier', s.kind || ':' || s.value, NULL, "
         "'{\"dest_group\":\"' || d.name || '\",\"kind\":\"' || s.kind || '\",\"value\":\"' || "
         "s.value || '\"' || CASE WHEN s.kind = 'range' THEN ',\"end\":\"' || s.range_end || '\"' "
         "ELSE '' END || '}', CAST($3 AS BIGINT) "
         "FROM stage_identifier s JOIN destination_group d ON d.id = s.dg_id ORDER BY s.ord"),
    both(Stmt::kIdentByKey, "ident_by_key", SPEERD_IDENT_COLS "WHERE p.kind = $1 AND p.value = $2"),
    both(Stmt::kIdentDelete, "ident_delete",
         "DELETE FROM public_identifier WHERE kind = $1 AND value = $2"),
    both(Stmt::kIdentListAll, "ident_list_all",
         SPEERD_IDENT_COLS "WHERE (p.kind, p.value) > ($1, $2) ORDER BY p.kind, p.value LIMIT $3"),
    both(Stmt::kIdentListGroup, "ident_list_group",
         SPEERD_IDENT_COLS "WHERE p.destination_group_id = $1 AND (p.kind, p.value) > ($2, $3) "
                           "ORDER BY p.kind, p.value LIMIT $4"),

    // ---- route_group ----------------------------------------------------------
    both(Stmt::kRgByName, "rg_by_name", SPEERD_RG_COLS "WHERE name = $1"),
    both(Stmt::kRgList, "rg_list", SPEERD_RG_COLS "ORDER BY name"),
    both(Stmt::kRgInsert, "rg_insert",
         "INSERT INTO route_group (name, priority, enabled, description) "
         "VALUES ($1, $2, $3, $4) RETURNING id"),
    both(Stmt::kRgUpdate, "rg_update",
         "UPDATE route_group SET priority = $2, enabled = $3, description = $4 WHERE id = $1"),
    both(Stmt::kRgDelete, "rg_delete", "DELETE FROM route_group WHERE id = $1"),
    both(Stmt::kRgDests, "rg_dests",
         "SELECT d.name FROM route_group_destination rgd "
         "JOIN destination_group d ON d.id = rgd.destination_group_id "
         "WHERE rgd.route_group_id = $1 ORDER BY d.name"),
    both(Stmt::kRgDestsAll, "rg_dests_all",
         "SELECT rgd.route_group_id, d.name FROM route_group_destination rgd "
         "JOIN destination_group d ON d.id = rgd.destination_group_id "
         "ORDER BY rgd.route_group_id, d.name"),
    both(Stmt::kRgDestInsert, "rg_dest_insert",
         "INSERT INTO route_group_destination (destination_group_id, route_group_id) "
         "VALUES ($1, $2)"),
    both(Stmt::kRgDestDelete, "rg_dest_delete",
         "DELETE FROM route_group_destination WHERE destination_group_id = $1 "
         "AND route_group_id = $2"),
    both(Stmt::kRgDestExists, "rg_dest_exists",
         "SELECT route_group_id FROM route_group_destination WHERE destination_group_id = $1 "
         "AND route_group_id = $2"),
    both(Stmt::kRgSedCount, "rg_sed_count",
         "SELECT count(*) FROM sed_record WHERE route_group_id = $1"),
    both(Stmt::kRgOfferCount, "rg_offer_count",
         "SELECT count(*) FROM peering_offer WHERE route_group_id = $1"),

    // ---- sed_record -----------------------------------------------------------
    both(Stmt::kSedInsert, "sed_insert",
         "INSERT INTO sed_record (route_group_id, kind, uri, host, port, transport, priority) "
         "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"),
    both(Stmt::kSedById, "sed_by_id",
         SPEERD_SED_COLS "FROM sed_record s JOIN route_group rg ON rg.id = s.route_group_id "
                         "WHERE s.id = $1"),
    both(Stmt::kSedDelete, "sed_delete", "DELETE FROM sed_record WHERE id = $1"),
    both(Stmt::kSedList, "sed_list",
         SPEERD_SED_COLS "FROM sed_record s JOIN route_group rg ON rg.id = s.route_group_id "
                         "ORDER BY rg.name, s.priority, s.id"),
    both(Stmt::kSedListRg, "sed_list_rg",
         SPEERD_SED_COLS "FROM sed_record s JOIN route_group rg ON rg.id = s.route_group_id "
                         "WHERE s.route_group_id = $1 ORDER BY s.priority, s.id"),
    both(Stmt::kSedFindSame, "sed_find_same",
         "SELECT id FROM sed_record WHERE route_group_id = $1 AND uri = $2 AND host = $3 "
         "AND port = $4 AND transport = $5"),

    // ---- peering_offer ----------------------------------------------------------
    both(Stmt::kOfferInsert, "offer_insert",
         "INSERT INTO peering_offer (route_group_id, client_id) VALUES ($1, $2) RETURNING id"),
    both(Stmt::kOfferGet, "offer_get",
         "SELECT id FROM peering_offer WHERE route_group_id = $1 AND client_id = $2"),
    both(Stmt::kOfferDelete, "offer_delete", "DELETE FROM peering_offer WHERE id = $1"),
    both(Stmt::kOfferList, "offer_list",
         "SELECT po.id, rg.name, c.name FROM peering_offer po "
         "JOIN route_group rg ON rg.id = po.route_group_id "
         "JOIN client c ON c.id = po.client_id ORDER BY rg.name, c.name"),

    // ---- trust_anchor -----------------------------------------------------------
    both(Stmt::kTaInsert, "ta_insert",
         "INSERT INTO trust_anchor (zone, kind, rr, key_tag, state, added_by, added_at) "
         "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"),
    both(Stmt::kTaById, "ta_by_id", SPEERD_TA_COLS "WHERE id = $1"),
    both(Stmt::kTaByRr, "ta_by_rr", SPEERD_TA_COLS "WHERE rr = $1"),
    both(Stmt::kTaDelete, "ta_delete", "DELETE FROM trust_anchor WHERE id = $1"),
    both(Stmt::kTaSetState, "ta_set_state", "UPDATE trust_anchor SET state = $2 WHERE id = $1"),
    both(Stmt::kTaList, "ta_list", SPEERD_TA_COLS "ORDER BY zone, id"),
    both(Stmt::kTaActive, "ta_active", SPEERD_TA_COLS "WHERE state = 'active' ORDER BY zone, id"),

    // ---- audit ------------------------------------------------------------------
    both(Stmt::kAuditInsert, "audit_insert",
         "INSERT INTO audit (at, actor, action, object_type, object_key, before, after, "
         "change_counter) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
    // Optional filters: a NULL parameter matches everything.
    both(Stmt::kAuditList, "audit_list",
         "SELECT id, at, actor, action, object_type, object_key, before, after, change_counter "
         "FROM audit WHERE (CAST($1 AS TEXT) IS NULL OR actor = $1) "
         "AND (CAST($2 AS TEXT) IS NULL OR object_type = $2) "
         "AND (CAST($3 AS TEXT) IS NULL OR at >= $3) ORDER BY id DESC LIMIT $4"),

    // ---- applied_operation (idempotent writes, migration 0003) --------------------
    both(Stmt::kOpFind, "op_find",
         "SELECT digest, change_counter FROM applied_operation WHERE op_id = $1"),
    both(Stmt::kOpInsert, "op_insert",
         "INSERT INTO applied_operation (op_id, digest, actor, at, change_counter) "
         "VALUES ($1, $2, $3, $4, $5)"),
    both(Stmt::kOpPrune, "op_prune", "DELETE FROM applied_operation WHERE at < $1"),
    // ---- change log (migration 0004) ---------------------------------------------
    both(Stmt::kChangeLogInsert, "change_log_insert",
         "INSERT INTO change_log (change_counter, kind, value, value_end) VALUES ($1, $2, $3, $4)"),
    both(Stmt::kChangeLogPrune, "change_log_prune",
         "DELETE FROM change_log WHERE change_counter <= $1"),
    both(Stmt::kChangeLogSince, "change_log_since",
         "SELECT change_counter, kind, value, value_end FROM change_log "
         "WHERE change_counter > $1 ORDER BY change_counter LIMIT $2"),
    // The destination groups a route group serves (what a change to it reaches).
    both(Stmt::kRouteGroupDestinations, "route_group_destinations",
         "SELECT d.name FROM route_group_destination x "
         "JOIN route_group g ON g.id = x.route_group_id "
         "JOIN destination_group d ON d.id = x.destination_group_id WHERE g.name = $1"),
    both(Stmt::kSedDestinations, "sed_destinations",
         "SELECT d.name FROM sed_record s "
         "JOIN route_group_destination x ON x.route_group_id = s.route_group_id "
         "JOIN destination_group d ON d.id = x.destination_group_id WHERE s.id = $1"),
};

#undef SPEERD_CLIENT_COLS
#undef SPEERD_SED_COLS
#undef SPEERD_TA_COLS
#undef SPEERD_RG_COLS
#undef SPEERD_IDENT_COLS

constexpr bool defs_in_order() {
  if (sizeof(kDefs) / sizeof(kDefs[0]) != static_cast<std::size_t>(kStatementCount)) return false;
  for (int i = 0; i < kStatementCount; ++i) {
    if (static_cast<int>(kDefs[i].id) != i) return false;
  }
  return true;
}
static_assert(defs_in_order(), "kDefs must list every Stmt, in enum order");

}  // namespace

const char* statement_text(Stmt stmt, Dialect dialect) {
  const Def& d = kDefs[static_cast<int>(stmt)];
  return dialect == Dialect::sqlite ? d.sqlite : d.postgres;
}

const char* statement_name(Stmt stmt) {
  return kDefs[static_cast<int>(stmt)].name;
}

}  // namespace speerd::store::detail
