#include "resolver/service/store_directory.hpp"

#include <algorithm>
#include <cctype>

namespace speerd::service {

// Bound on cached answers per shard (distinct certificates seen): beyond it
// the cache starts over.
constexpr std::size_t kMaxCachedIdentities = 10000;

std::string fold_tree(std::string tree) {
  for (auto& c : tree) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!tree.empty() && tree.back() != '.') tree.push_back('.');
  return tree;
}

StoreDirectory::StoreDirectory(std::unique_ptr<store::Store> store,
                               std::map<std::string, std::string> tree_names,
                               std::chrono::milliseconds refresh)
    : store_(std::move(store)), refresh_(refresh) {
  for (auto& [suffix, name] : tree_names) tree_names_[fold_tree(suffix)] = name;
}

Expected<bool> StoreDirectory::ping() {
  auto c = store_->change_counter();
  if (!c) return fail(c.error());
  return true;
}

void StoreDirectory::refresh_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return;
  next_check_ = now + refresh_;
  auto c = store_->change_counter();
  if (!c) {
    cache_.clear();  // unknown state: ask the store again next time
    counter_known_ = false;
    return;
  }
  if (!counter_known_ || *c != counter_) cache_.clear();
  counter_ = *c;
  counter_known_ = true;
}

ClientRecord client_record(const store::Client& c,
                           const std::map<std::string, std::string>& tree_names) {
  ClientRecord r;
  r.id = c.name;
  r.scope.client_id = c.name;
  r.scope.store_client = c.id;
  for (const auto& t : c.trees) {
    auto it = tree_names.find(fold_tree(t));
    if (it != tree_names.end()) r.scope.trees.push_back(it->second);
  }
  // No known tree: the scope stays empty, which is no access (ClientScope).
  // Checked when written (Store::apply); text that no longer parses (a
  // newer writer) leaves the defaults unset rather than guessing.
  if (auto o = luf::parse_options(c.options)) r.defaults = std::move(*o);
  if (c.rate.per_second > 0) {
    r.rate = RateLimit{static_cast<std::int64_t>(c.rate.per_second),
                       static_cast<std::int64_t>(std::max(c.rate.burst, c.rate.per_second))};
  }
  return r;
}

ClientRecord StoreDirectory::record_of(const store::Client& c) const {
  return client_record(c, tree_names_);
}

Expected<ClientMatch> StoreDirectory::lookup(const CertIdentity& id) {
  using Kind = store::ClientIdentity::Kind;
  std::vector<std::string> names = id.uris;
  names.insert(names.end(), id.dns.begin(), id.dns.end());
  if (!id.common_name.empty()) names.push_back(id.common_name);
  if (!id.subject.empty()) names.push_back(id.subject);

  std::optional<store::Client> found;
  std::string matched;
  if (!id.spki_sha256.empty()) {
    auto c = store_->find_client({Kind::spki_pin, id.spki_sha256});
    if (!c) return fail(c.error());
    if (*c) {
      found = std::move(**c);
      matched = "sha256/" + id.spki_sha256;
    }
  }
  for (std::size_t i = 0; !found && i < names.size(); ++i) {
    auto c = store_->find_client({Kind::cert_name, names[i]});
    if (!c) return fail(c.error());
    if (*c) {
      found = std::move(**c);
      matched = names[i];
    }
  }
  if (!found) return ClientMatch{std::nullopt, "no client record"};
  // A client with both a name and a pin must present both.
  if (!found->spki_pin.empty() && found->spki_pin != id.spki_sha256) {
    return ClientMatch{std::nullopt, "client " + found->name + ": SPKI pin does not match"};
  }
  if (!found->cert_name.empty() &&
      std::find(names.begin(), names.end(), found->cert_name) == names.end()) {
    return ClientMatch{std::nullopt,
                       "client " + found->name + ": certificate does not carry its name"};
  }
  if (!found->enabled) return ClientMatch{std::nullopt, "client " + found->name + " is disabled"};
  ClientRecord r = record_of(*found);
  r.matched_identity = matched;
  return ClientMatch{std::move(r), {}};
}

Expected<ClientMatch> StoreDirectory::find(const CertIdentity& id) {
  refresh_if_due();
  std::string key;
  for (const auto& c : id.candidates()) key += c + '\n';
  key += id.subject;
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  auto m = lookup(id);
  if (!m) return m;
  if (cache_.size() >= kMaxCachedIdentities) cache_.clear();
  cache_.emplace(key, *m);
  return m;
}

}  // namespace speerd::service
