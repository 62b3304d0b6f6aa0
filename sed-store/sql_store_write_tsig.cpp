// The Writer's handling of a client's TSIG keys (migration 0006, issue 14):
// validated, one name across all clients, added and removed by
// UpdateClient. The secret never reaches a message or the audit log.
#include <algorithm>
#include <string>
#include <vector>

#include "sed-store/limits.hpp"
#include "sed-store/sql_store_writer.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

Result<std::vector<TsigKey>> Writer::normalized_tsig_keys(const std::vector<TsigKey>& keys) {
  std::vector<TsigKey> out;
  for (const auto& k : keys) {
    TsigKey n;
    auto name = checked(validate::domain(k.name), "tsig_key");
    if (!name) return name.error();
    n.name = *name;
    auto algorithm = validate::tsig_algorithm(k.algorithm);
    if (!algorithm) {
      return error(ErrorCode::invalid, "tsig_algorithm",
                   "TSIG key " + n.name + ": algorithm " + algorithm.error());
    }
    n.algorithm = *algorithm;
    auto secret = validate::tsig_secret(k.secret);
    if (!secret) {
      return error(ErrorCode::invalid, "tsig_secret", "TSIG key " + n.name + ": " + secret.error());
    }
    n.secret = *secret;
    const bool twice =
        std::any_of(out.begin(), out.end(), [&](const TsigKey& o) { return o.name == n.name; });
    if (twice) {
      return error(ErrorCode::invalid, "tsig_key", "TSIG key " + n.name + " is given twice");
    }
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(),
            [](const TsigKey& a, const TsigKey& b) { return a.name < b.name; });
  if (out.size() > kMaxTsigKeysPerClient) {
    return error(ErrorCode::invalid, "tsig_key",
                 "at most " + std::to_string(kMaxTsigKeysPerClient) + " TSIG keys per client");
  }
  return out;
}

Result<Done> Writer::insert_tsig_keys(Id client, const std::vector<TsigKey>& keys) {
  for (const auto& k : keys) {
    // A key name names one client: the front end knows the client by it.
    const Param q[] = {sv(k.name)};
    auto owner = first<std::string>(db_, Stmt::kClientTsigOwner, q,
                                    [](const Row& r) { return str(r.text(0)); });
    if (!owner) return owner.error();
    if (*owner) {
      return error(
          ErrorCode::conflict, "tsig_key",
          "TSIG key " + k.name + " belongs to client " + validate::quote(**owner) + " already");
    }
    const Param p[] = {client, sv(k.name), sv(k.algorithm), sv(k.secret)};
    if (auto ok = exec(Stmt::kClientTsigInsert, p); !ok) return ok.error();
  }
  return Done{};
}

Result<Done> Writer::update_tsig_keys(const UpdateClient& u, Client& n) {
  for (const auto& raw : u.remove_tsig_keys) {
    auto name = checked(validate::domain(raw), "tsig_key");
    if (!name) return name.error();
    auto it = std::find_if(n.tsig_keys.begin(), n.tsig_keys.end(),
                           [&](const TsigKey& k) { return k.name == *name; });
    if (it == n.tsig_keys.end()) {
      return error(ErrorCode::not_found, "tsig_key",
                   "client " + validate::quote(n.name) + " has no TSIG key " + *name);
    }
    n.tsig_keys.erase(it);
    const Param p[] = {n.id, sv(*name)};
    if (auto ok = exec(Stmt::kClientTsigDelete, p); !ok) return ok.error();
  }
  auto added = normalized_tsig_keys(u.add_tsig_keys);
  if (!added) return added.error();
  if (n.tsig_keys.size() + added->size() > kMaxTsigKeysPerClient) {
    return error(ErrorCode::invalid, "tsig_key",
                 "at most " + std::to_string(kMaxTsigKeysPerClient) + " TSIG keys per client");
  }
  if (auto ok = insert_tsig_keys(n.id, *added); !ok) return ok.error();
  for (auto& k : *added) n.tsig_keys.push_back(std::move(k));
  std::sort(n.tsig_keys.begin(), n.tsig_keys.end(),
            [](const TsigKey& a, const TsigKey& b) { return a.name < b.name; });
  return Done{};
}

}  // namespace speerd::store::detail
