// Internal to SqlStore: the change log (migration 0004, issue 12). apply()
// tells the logger every change before and after it runs; the logger notes
// what the change touched in terms a node's cache understands (identifiers,
// destination groups, flushes; see the migration for the kinds) and writes
// the rows with the transaction's change counter. More than kMaxRows for one
// write (a bulk import) is one `all` row. Rows of all but the newest
// kKeepChanges changes are pruned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sed-store/changes.hpp"
#include "sed-store/db.hpp"

namespace speerd::store::detail {

class ChangeLogger {
 public:
  static constexpr std::size_t kMaxRows = 1000;
  static constexpr std::int64_t kKeepChanges = 10000;

  explicit ChangeLogger(Db& db) : db_(db) {}

  // Before `c` runs: what it may take away (the destination groups a route
  // group serves now, before a removal or detach changes that).
  Result<Done> before(const Change& c);
  // After `c` ran: what it changed or added.
  Result<Done> after(const Change& c);
  // The rows, under `counter`; then the pruning.
  Result<Done> write(std::int64_t counter);

 private:
  struct Row {
    std::string kind, value, end;
    bool operator==(const Row&) const = default;
  };
  void add(std::string kind, std::string value, std::string end = {});
  Result<Done> groups_of(const std::string& route_group);
  Result<Done> groups_of_sed(Id sed);

  Db& db_;
  std::vector<Row> rows_;
  bool overflow_ = false;
};

}  // namespace speerd::store::detail
