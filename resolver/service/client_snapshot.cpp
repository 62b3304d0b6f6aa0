#include "resolver/service/client_snapshot.hpp"

#include <algorithm>
#include <cctype>

#include "enum/client_options.hpp"

namespace speerd::service {

std::string fold_tree(std::string tree) {
  for (auto& c : tree) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!tree.empty() && tree.back() != '.') tree.push_back('.');
  return tree;
}

ClientRecord record_of(const store::Client& c, const std::map<std::string, std::string>& folded) {
  ClientRecord r;
  r.id = c.name;
  r.scope.client_id = c.name;
  r.scope.store_client = c.id;
  for (const auto& t : c.trees) {
    auto it = folded.find(fold_tree(t));
    if (it != folded.end()) r.scope.trees.push_back(it->second);
  }
  // No known tree: the scope stays empty, which is no access (ClientScope).
  // Checked when written (Store::apply); text that no longer parses (a
  // newer writer) leaves the defaults unset rather than guessing.
  if (auto o = luf::parse_options(c.options)) r.defaults = std::move(*o);
  r.tsig_required = c.tsig_required;
  if (c.rate.per_second > 0) {
    r.rate = RateLimit{static_cast<std::int64_t>(c.rate.per_second),
                       static_cast<std::int64_t>(std::max(c.rate.burst, c.rate.per_second))};
  }
  return r;
}

ClientTable::ClientTable(std::vector<store::Client> clients,
                         const std::map<std::string, std::string>& tree_names,
                         std::uint64_t change_counter)
    : change_counter_(change_counter) {
  std::map<std::string, std::string> folded;
  for (const auto& [suffix, name] : tree_names) folded[fold_tree(suffix)] = name;
  clients_.reserve(clients.size());
  for (auto& c : clients) {
    Entry e{std::move(c), {}};
    e.record = record_of(e.client, folded);
    const std::size_t i = clients_.size();
    if (!e.client.spki_pin.empty()) by_pin_.emplace(e.client.spki_pin, i);
    if (!e.client.cert_name.empty()) by_name_.emplace(e.client.cert_name, i);
    if (e.client.enabled) {
      for (const auto& text : e.client.sources) {
        auto p = store::parse_source_prefix(text);
        if (!p) continue;  // the store validated it on write; an old row is skipped
        sources_.add(*p, e.record);
      }
      // A disabled client's keys are left out too: its signed queries get BADKEY.
      for (const auto& k : e.client.tsig_keys) {
        if (k.algorithm == "hmac-sha256") sources_.add_key(k.name, k.secret, e.record);
      }
    }
    clients_.push_back(std::move(e));
  }
}

ClientMatch ClientTable::find(const CertIdentity& id) const {
  std::vector<std::string> names = id.uris;
  names.insert(names.end(), id.dns.begin(), id.dns.end());
  if (!id.common_name.empty()) names.push_back(id.common_name);
  if (!id.subject.empty()) names.push_back(id.subject);

  const Entry* found = nullptr;
  std::string matched;
  if (!id.spki_sha256.empty()) {
    if (auto it = by_pin_.find(id.spki_sha256); it != by_pin_.end()) {
      found = &clients_[it->second];
      matched = "sha256/" + id.spki_sha256;
    }
  }
  for (std::size_t i = 0; found == nullptr && i < names.size(); ++i) {
    if (auto it = by_name_.find(names[i]); it != by_name_.end()) {
      found = &clients_[it->second];
      matched = names[i];
    }
  }
  if (found == nullptr) return ClientMatch{std::nullopt, "no client record"};
  const store::Client& c = found->client;
  if (!c.spki_pin.empty() && c.spki_pin != id.spki_sha256) {
    return ClientMatch{std::nullopt, "client " + c.name + ": SPKI pin does not match"};
  }
  if (!c.cert_name.empty() && std::find(names.begin(), names.end(), c.cert_name) == names.end()) {
    return ClientMatch{std::nullopt, "client " + c.name + ": certificate does not carry its name"};
  }
  if (!c.enabled) return ClientMatch{std::nullopt, "client " + c.name + " is disabled"};
  ClientRecord r = found->record;
  r.matched_identity = matched;
  return ClientMatch{std::move(r), {}};
}

std::shared_ptr<const ClientTable> ClientSnapshot::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_;
}

void ClientSnapshot::publish(std::shared_ptr<const ClientTable> table) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    table_ = std::move(table);
  }
  version_.fetch_add(1, std::memory_order_acq_rel);
}

void ClientSnapshot::set_problem(std::string why) {
  std::lock_guard<std::mutex> lock(mutex_);
  problem_ = std::move(why);
}

std::string ClientSnapshot::problem() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return problem_;
}

const ClientTable* SnapshotDirectory::table() {
  const auto v = snapshot_->version();
  if (v != seen_ || !table_) {
    table_ = snapshot_->current();
    seen_ = v;
  }
  return table_.get();
}

Expected<ClientMatch> SnapshotDirectory::find(const CertIdentity& id) {
  const ClientTable* t = table();
  if (t == nullptr) {
    return fail(
        "the client snapshot is not loaded yet (the SED store has not answered since start)");
  }
  return t->find(id);
}

Expected<bool> SnapshotDirectory::ping() {
  if (table() == nullptr) {
    const auto why = snapshot_->problem();
    return fail("the client snapshot is not loaded yet" + (why.empty() ? "" : ": " + why));
  }
  return true;
}

}  // namespace speerd::service
