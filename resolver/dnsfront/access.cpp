#include "resolver/dnsfront/access.hpp"

#include <algorithm>

#include "resolver/service/store_directory.hpp"

namespace speerd::dnsfront {

void SourceTable::add(store::SourcePrefix prefix, service::ClientRecord client) {
  auto c = std::make_shared<const service::ClientRecord>(std::move(client));
  entries_.push_back(Entry{prefix, std::move(c)});
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.prefix.length > b.prefix.length;
  });
}

const service::ClientRecord* SourceTable::find(const boost::asio::ip::address& source) const {
  if (source.is_v4()) {
    const auto b = source.to_v4().to_bytes();
    for (const auto& e : entries_) {
      if (e.prefix.contains(b.data(), b.size())) return e.client.get();
    }
    return nullptr;
  }
  const auto b = source.to_v6().to_bytes();
  for (const auto& e : entries_) {
    if (e.prefix.contains(b.data(), b.size())) return e.client.get();
  }
  return nullptr;
}

StoreSources::StoreSources(std::unique_ptr<store::Store> store,
                           std::map<std::string, std::string> tree_names,
                           std::chrono::milliseconds refresh)
    : store_(std::move(store)), refresh_(refresh) {
  for (auto& [suffix, name] : tree_names) tree_names_[service::fold_tree(suffix)] = name;
}

Expected<bool> StoreSources::reload() {
  auto counter = store_->change_counter();
  if (!counter) return fail(counter.error());
  if (table_ && *counter == counter_) return true;
  auto clients = store_->list_clients();
  if (!clients) return fail(clients.error().message);
  SourceTable t;
  for (const auto& c : *clients) {
    if (!c.enabled) continue;
    for (const auto& text : c.sources) {
      auto p = store::parse_source_prefix(text);
      if (!p) continue;  // the store validated it on write; an old row is skipped
      t.add(*p, service::client_record(c, tree_names_));
    }
  }
  table_ = std::make_shared<const SourceTable>(std::move(t));
  counter_ = *counter;
  return true;
}

Expected<std::shared_ptr<const SourceTable>> StoreSources::table() {
  const auto now = std::chrono::steady_clock::now();
  if (!table_ || now >= next_check_) {
    next_check_ = now + refresh_;
    if (auto r = reload(); !r) {
      table_.reset();  // fail closed: no stale table after a store error
      return fail(r.error());
    }
  }
  return table_;
}

}  // namespace speerd::dnsfront
