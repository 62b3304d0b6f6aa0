// Schema migrations, embedded into the binary at build time from
// sed-store/migrations/<dialect>/NNNN_name.sql (see embed_migrations.cmake).
// Versions start at 1 and have no gaps; both dialects have the same versions.
#pragma once

#include <span>

namespace speerd::store::detail {

enum class Dialect { sqlite, postgres };

struct Migration {
  int version;
  const char* name;
  const char* sql;  // trusted text from the repository, never from input
};

// Ordered by version.
std::span<const Migration> migrations(Dialect dialect);

}  // namespace speerd::store::detail
