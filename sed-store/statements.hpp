// Internal: every SQL statement the store runs, by id. The text lives in
// statements.cpp as constant literals, one per dialect where they differ, and
// is prepared once per connection; values are always bound parameters ($1..$n).
#pragma once

#include "sed-store/migrations.hpp"

namespace speerd::store::detail {

enum class Stmt {
  // Opening, schema, meta.
  kSessionSetup,
  kStatementTimeout,
  kCountSpeerdTables,
  kCountAllTables,
  kSchemaVersion,
  kSchemaInsert,
  kMigrationLock,
  kMetaRead,
  kBumpCounter,
  kNotify,
  kCounts,
  // Lookups (the resolver contract).
  kFindExact,
  kFindRange,
  kFindPrefix,
  kFindPrefixAtMost,
  kRoutes,
  kProvisionedTarget,
  kRoutesToHost,
  // client
  kClientByName,
  kClientByCert,
  kClientByPin,
  kClientList,
  kClientTrees,
  kClientTreesAll,
  kClientInsert,
  kClientUpdate,
  kClientDelete,
  kClientTreeInsert,
  kClientTreeClear,
  kClientSources,
  kClientSourcesAll,
  kClientSourceInsert,
  kClientSourceClear,
  kClientSourceOwner,
  kClientTsigKeys,
  kClientTsigKeysAll,
  kClientTsigInsert,
  kClientTsigDelete,
  kClientTsigOwner,
  kClientOfferCount,
  // destination_group
  kDgByName,
  kDgList,
  kDgInsert,
  kDgDelete,
  kDgHasIdentifier,
  kDgServedBy,
  // public_identifier (bulk writes go through the staging table)
  kStageCreate,
  kStageClear,
  kStageInsert,
  kStageAnalyze,
  kStageFindExisting,
  kStageFindRangeOverlap,
  kSavepoint,
  kStageApply,
  kRollbackToSavepoint,
  kReleaseSavepoint,
  kStageAudit,
  kIdentByKey,
  kIdentDelete,
  kIdentListAll,
  kIdentListGroup,
  // route_group
  kRgByName,
  kRgList,
  kRgInsert,
  kRgUpdate,
  kRgDelete,
  kRgDests,
  kRgDestsAll,
  kRgDestInsert,
  kRgDestDelete,
  kRgDestExists,
  kRgSedCount,
  kRgOfferCount,
  // sed_record
  kSedInsert,
  kSedById,
  kSedDelete,
  kSedList,
  kSedListRg,
  kSedFindSame,
  // peering_offer
  kOfferInsert,
  kOfferGet,
  kOfferDelete,
  kOfferList,
  // trust_anchor
  kTaInsert,
  kTaById,
  kTaByRr,
  kTaDelete,
  kTaSetState,
  kTaList,
  kTaActive,
  // audit
  kAuditInsert,
  kAuditList,
  // applied_operation (idempotent writes)
  kOpFind,
  kOpInsert,
  kOpPrune,
  // change log (issue 12)
  kChangeLogInsert,
  kChangeLogPrune,
  kChangeLogSince,
  kRouteGroupDestinations,
  kSedDestinations,
  kCount_  // number of statements, not a statement
};

inline constexpr int kStatementCount = static_cast<int>(Stmt::kCount_);

// The statement's text in this dialect; nullptr: the dialect has nothing to
// run for it (the call succeeds with no rows).
const char* statement_text(Stmt stmt, Dialect dialect);

// A stable name for the statement (PostgreSQL prepared statement name, logs).
const char* statement_name(Stmt stmt);

}  // namespace speerd::store::detail
