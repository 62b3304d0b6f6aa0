#include "resolver/service/source_table.hpp"

#include <algorithm>

namespace speerd::service {

void SourceTable::add(store::SourcePrefix prefix, ClientRecord client) {
  auto c = std::make_shared<const ClientRecord>(std::move(client));
  // Before the first shorter prefix: longest first, in the order added.
  auto at = std::upper_bound(
      entries_.begin(), entries_.end(), prefix.length,
      [](std::uint8_t length, const Entry& e) { return length > e.prefix.length; });
  entries_.insert(at, Entry{prefix, std::move(c)});
}

const ClientRecord* SourceTable::find(const boost::asio::ip::address& source) const {
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

void SourceTable::add_key(std::string name, std::string secret, ClientRecord client) {
  if (keys_.count(name) != 0) return;
  auto c = std::make_shared<const ClientRecord>(std::move(client));
  std::string key = name;
  keys_.emplace(std::move(key), TsigKey{std::move(name), std::move(secret), std::move(c)});
}

const TsigKey* SourceTable::find_key(std::string_view name) const {
  auto it = keys_.find(std::string(name));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace speerd::service
