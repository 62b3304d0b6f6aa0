#include "resolver/pipeline/cache.hpp"

#include <algorithm>

namespace speerd::pipeline {

using model::Step;
using model::Target;

namespace {
constexpr std::size_t kEntryOverhead = 160;  // list node, map node, shared_ptr control block

std::size_t str_bytes(const std::string& s) {
  return sizeof(std::string) + s.capacity();
}

std::size_t outcome_bytes(const dns::Outcome& o) {
  return sizeof(o) + o.reason.capacity();
}

std::size_t target_bytes(const Target& t) {
  return sizeof(Target) + t.host.capacity() + t.address.capacity() + t.transport.capacity() +
         t.outcome.reason.capacity();
}
}  // namespace

ResultCache::ResultCache(config::CacheSettings settings, Clock clock)
    : settings_(settings), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::size_t ResultCache::footprint(const std::string& key, const LookupResult& r) {
  std::size_t n = kEntryOverhead + sizeof(LookupResult) + 2 * str_bytes(key);
  n += r.reason.capacity() + r.number.capacity() + r.tree.capacity() + r.uri.capacity() +
       outcome_bytes(r.outcome) + r.store.record_id.capacity() + r.store.detail.capacity() +
       r.received_owner.capacity();
  for (const auto& w : r.received_naptrs) n += str_bytes(w);
  for (const auto& u : r.uris) {
    n += sizeof(UriResult) + u.uri.capacity() + u.service.capacity() + u.status.capacity();
    for (const auto& t : u.targets) n += target_bytes(t);
  }
  for (const auto& t : r.targets) n += target_bytes(t);
  for (const auto& s : r.dnssec) {
    n += sizeof(Step) + s.name.capacity() + s.type.capacity() + s.result.capacity() +
         s.detail.capacity() + s.outcome.reason.capacity();
  }
  // The index is memory each entry holds, so the byte bound sees it too.
  return n + CacheIndex<List::iterator>::index_bytes(key, &r);
}

std::optional<ResultCache::Hit> ResultCache::get(const std::string& key, bool allow_stale) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  const auto now = clock_();
  Entry& e = *it->second;
  if (now < e.expires) {
    lru_.splice(lru_.begin(), lru_, it->second);
    ++stats_.hits;
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(e.expires - now).count();
    const auto left = static_cast<std::uint32_t>(std::max<long long>(1, secs));
    if (e.result->ttl != left) {
      if (e.result.use_count() != 1) e.result = std::make_shared<LookupResult>(*e.result);
      e.result->ttl = left;
      e.result->age = e.ttl > left ? e.ttl - left : 0;
    }
    return Hit{e.result, false, left};
  }
  if (now >= e.stale_until) {
    remove(it->second);
    ++stats_.misses;
    return std::nullopt;
  }
  if (!allow_stale) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.stale_hits;
  return Hit{e.result, true, 0};
}

bool ResultCache::put(const std::string& key, const LookupResult& result, bool negative) {
  const auto state = result.outcome.state;
  if (state == dns::Security::bogus || state == dns::Security::indeterminate) {
    ++stats_.refused;
    return false;
  }
  const std::uint32_t cap = negative ? settings_.negative_max_ttl : settings_.max_ttl;
  const std::uint32_t ttl = std::min(result.ttl, cap);
  if (ttl == 0 || settings_.max_entries == 0) {
    ++stats_.refused;
    return false;
  }
  if (auto it = index_.find(key); it != index_.end()) remove(it->second);
  const auto now = clock_();
  Entry e;
  e.key = key;
  auto stored = std::make_shared<LookupResult>(result);
  stored->cached = true;
  stored->ttl = ttl;
  // Notes are for traces of the lookup that made them; a hit is not traced,
  // and the cached copy is kept small.
  stored->notes.clear();
  stored->notes.shrink_to_fit();
  e.result = std::move(stored);
  e.ttl = ttl;
  e.expires = now + std::chrono::seconds(ttl);
  e.stale_until = e.expires + std::chrono::seconds(settings_.stale_window);
  e.bytes = footprint(key, *e.result);
  if (e.bytes > settings_.max_bytes) {
    ++stats_.refused;
    return false;
  }
  bytes_ += e.bytes;
  lru_.push_front(std::move(e));
  index_.emplace(key, lru_.begin());
  by_.add(lru_.begin(), lru_.front().key, lru_.front().result.get(), lru_.front().slot);
  ++stats_.inserts;
  evict_to_fit();
  return true;
}

void ResultCache::erase(const std::string& key) {
  if (auto it = index_.find(key); it != index_.end()) remove(it->second);
}

std::size_t ResultCache::erase_if(const std::function<bool(const std::string&)>& pred) {
  std::size_t n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (pred(it->key)) {
      remove(it);
      ++n;
    }
    it = next;
  }
  return n;
}

std::size_t ResultCache::erase_if(
    const std::function<bool(const std::string&, const LookupResult&)>& pred) {
  std::size_t n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (pred(it->key, *it->result)) {
      remove(it);
      ++n;
    }
    it = next;
  }
  stats_.invalidated += n;
  return n;
}

std::size_t ResultCache::erase_selected(
    const std::vector<CacheSelect>& sels,
    const std::function<bool(const std::string&, const LookupResult&)>& pred) {
  std::size_t n = 0;
  for (const auto it : by_.candidates(sels)) {
    if (pred(it->key, *it->result)) {
      remove(it);
      ++n;
    }
  }
  stats_.invalidated += n;
  return n;
}

void ResultCache::clear() {
  by_.clear();
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

void ResultCache::remove(List::iterator it) {
  bytes_ -= it->bytes;
  by_.remove(it->slot);
  index_.erase(it->key);
  lru_.erase(it);
}

void ResultCache::evict_to_fit() {
  while (!lru_.empty() && (index_.size() > settings_.max_entries || bytes_ > settings_.max_bytes)) {
    remove(std::prev(lru_.end()));
    ++stats_.evictions;
  }
}

CacheKeyView parse_cache_key(std::string_view key) {
  // Field i of the key: skip i separators (a key with fewer has "" there).
  const auto field = [key](int i) {
    std::string_view rest = key;
    for (; i > 0; --i) {
      const auto at = rest.find('\x1f');
      if (at == std::string_view::npos) return std::string_view{};
      rest.remove_prefix(at + 1);
    }
    return rest.substr(0, rest.find('\x1f'));
  };
  CacheKeyView k;
  k.kind = field(2);
  k.input = field(3);
  if (k.kind == "lookup" && k.input.size() > 1 && k.input.front() == '+') {
    k.number = k.input.substr(1);
  }
  return k;
}

std::string cache_key(const ClientScope& scope, std::string_view kind, std::string_view input,
                      std::string_view service) {
  std::string k;
  k.reserve(scope.client_id.size() + kind.size() + input.size() + service.size() + 8);
  k.append(scope.client_id).push_back('\x1f');
  for (const auto& t : scope.trees) k.append(t).push_back(',');
  k.push_back('\x1f');
  k.append(kind).push_back('\x1f');
  k.append(input).push_back('\x1f');
  k.append(service);
  return k;
}

}  // namespace speerd::pipeline
