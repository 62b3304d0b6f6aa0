// open_store: dispatches on the URI scheme, then checks (or creates) the schema.
#include <sys/stat.h>
#include <filesystem>

#include "sed-store/sql_store.hpp"

namespace speerd::store {

int known_schema_version() {
  return detail::migrations(detail::Dialect::sqlite).back().version;
}

Result<std::unique_ptr<Store>> open_store(std::string_view uri, const OpenOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  const bool is_sqlite = uri.substr(0, kSqlite.size()) == kSqlite;
  const bool is_pg = uri.substr(0, 13) == "postgresql://" || uri.substr(0, 11) == "postgres://";
  if (!is_sqlite && !is_pg) {
    return Error{ErrorCode::invalid,
                 "unknown store URI: use sqlite:PATH or postgresql://[user@]host[:port]/db",
                 std::nullopt,
                 {},
                 std::nullopt};
  }
  std::string created_path;
  Result<std::unique_ptr<detail::Db>> db = Error{};
  if (is_sqlite) {
    const std::string path(uri.substr(kSqlite.size()));
    struct stat st {};
    if (options.create && !path.empty() && ::stat(path.c_str(), &st) != 0) created_path = path;
    db = detail::open_sqlite(path, options);
  } else {
    db = detail::open_postgres(uri, options);
  }
  if (!db) return db.error();
  auto store = std::make_unique<detail::SqlStore>(std::move(*db), options);
  if (auto ok = store->attach(); !ok) {
    store.reset();
    // A file this call created and could not initialize is removed again.
    if (!created_path.empty()) {
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::filesystem::remove(created_path + suffix, ec);
      }
    }
    return ok.error();
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace speerd::store
