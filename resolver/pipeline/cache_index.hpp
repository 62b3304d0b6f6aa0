// Secondary indexes of the result cache and the failure cache (issue 12,
// item 4): a store change reaches its cached answers through them in
// O(log n + k) (k: the entries the index yields) instead of a scan of every
// entry on the shard's event loop.
//
//   numbers   the digits of each lookup of a +number, ordered: a number, a
//             prefix (a flushed zone under a tree is one) and a range are
//             range queries;
//   rns       lookups of a +number by the result's store.routing_number;
//   groups    lookups of a +number by the result's store.destination_group;
//   routes    every route answer (a destination group change reaches them).
//
// The index only narrows the candidates: what a change reaches is still
// decided by pipeline::affects() (invalidation.hpp) on each one, so a
// candidate too many costs time, never an answer. An entry is indexed with
// its result or, in the failure cache (whose entries affects() asks with no
// result), without: then it has no rn or group.
//
// Cost per entry (64-bit libstdc++, glibc malloc chunks): the Slot in the
// entry (4 iterators + flags: 40 bytes), a numbers node (rb-tree node of a
// string_view and a list iterator: 56 bytes, a 64-byte chunk), an rns or
// groups node when the result names one (a std::string key: 72 bytes, an
// 80-byte chunk, plus the name's own allocation past 15 characters), a
// routes node for a route answer (24 bytes, a 32-byte chunk). A routed
// lookup with a group: ~184 bytes. index_bytes() says it for one entry;
// ResultCache::footprint counts it, so [cache] max_bytes bounds the index
// with the entries it indexes.
//
// Not thread-safe (one per cache). Pos is the owning cache's list iterator;
// the numbers view the entry's own key, which outlives the entry's slot.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/pipeline/result.hpp"

namespace speerd::pipeline {

// The fields of a cache key (cache_key(): client, trees, kind, input,
// service, separated by \x1f) that invalidation reads; affects() and the
// indexes read keys through this one parse.
struct CacheKeyView {
  std::string_view kind;
  std::string_view input;
  std::string_view number;  // the digits of a lookup of a +number ("" if it is not one)
};
CacheKeyView parse_cache_key(std::string_view key);

// One index query: the entries it yields include every entry it names (and
// maybe more: the caller confirms each with affects()).
struct CacheSelect {
  enum class By : std::uint8_t {
    number,             // lookups of the number `value` (digits)
    number_prefix,      // lookups of numbers that start with `value`
    number_range,       // lookups of numbers in [value, end] (as strings)
    routing_number,     // lookups whose result's store.routing_number is `value`
    destination_group,  // lookups whose result's store.destination_group is `value`
    route,              // every route answer
  };
  By by = By::number;
  std::string value;
  std::string end;
};

template <class Pos>
class CacheIndex {
 public:
  using Numbers = std::multimap<std::string_view, Pos, std::less<>>;
  using Names = std::multimap<std::string, Pos, std::less<>>;
  using Routes = std::list<Pos>;

  // Where one entry is in the index (kept in the entry).
  struct Slot {
    typename Numbers::iterator number;
    typename Names::iterator rn;
    typename Names::iterator group;
    typename Routes::iterator route;
    std::uint8_t in = 0;  // bits: which of the above are set
  };

  // Indexes the entry at `pos` under `key` (a view of the entry's own key)
  // and, given one, its result's rn and group.
  void add(Pos pos, std::string_view key, const LookupResult* r, Slot& s) {
    const auto k = parse_cache_key(key);
    s.in = 0;
    if (!k.number.empty()) {
      s.number = numbers_.emplace(k.number, pos);
      s.in |= kNumber;
      if (r != nullptr && !r->store.routing_number.empty()) {
        s.rn = rns_.emplace(r->store.routing_number, pos);
        s.in |= kRn;
      }
      if (r != nullptr && !r->store.destination_group.empty()) {
        s.group = groups_.emplace(r->store.destination_group, pos);
        s.in |= kGroup;
      }
    } else if (k.kind == "route") {
      s.route = routes_.insert(routes_.end(), pos);
      s.in |= kRoute;
    }
  }

  void remove(Slot& s) {
    if (s.in & kNumber) numbers_.erase(s.number);
    if (s.in & kRn) rns_.erase(s.rn);
    if (s.in & kGroup) groups_.erase(s.group);
    if (s.in & kRoute) routes_.erase(s.route);
    s.in = 0;
  }

  void clear() {
    numbers_.clear();
    rns_.clear();
    groups_.clear();
    routes_.clear();
  }

  // Appends the entries `sel` yields to `out` (an entry may come twice from
  // two queries).
  void collect(const CacheSelect& sel, std::vector<Pos>& out) const {
    using By = CacheSelect::By;
    const std::string_view v = sel.value;
    const auto all = [&out](auto first, auto last) {
      for (; first != last; ++first) out.push_back(first->second);
    };
    switch (sel.by) {
      case By::number: {
        const auto [first, last] = numbers_.equal_range(v);
        all(first, last);
        break;
      }
      case By::number_prefix:
        // Every string that starts with v sorts from lower_bound(v) on, together.
        for (auto it = numbers_.lower_bound(v); it != numbers_.end() && it->first.starts_with(v);
             ++it) {
          out.push_back(it->second);
        }
        break;
      case By::number_range:
        for (auto it = numbers_.lower_bound(v);
             it != numbers_.end() && it->first <= std::string_view(sel.end); ++it) {
          out.push_back(it->second);
        }
        break;
      case By::routing_number: {
        const auto [first, last] = rns_.equal_range(v);
        all(first, last);
        break;
      }
      case By::destination_group: {
        const auto [first, last] = groups_.equal_range(v);
        all(first, last);
        break;
      }
      case By::route:
        out.insert(out.end(), routes_.begin(), routes_.end());
        break;
    }
  }

  // The entries `sels` yield, each once (in no particular order).
  std::vector<Pos> candidates(const std::vector<CacheSelect>& sels) const {
    std::vector<Pos> out;
    for (const auto& s : sels) collect(s, out);
    const auto addr = [](const Pos& p) { return static_cast<const void*>(&*p); };
    std::sort(out.begin(), out.end(),
              [&](const Pos& a, const Pos& b) { return std::less<>{}(addr(a), addr(b)); });
    out.erase(std::unique(out.begin(), out.end(),
                          [&](const Pos& a, const Pos& b) { return addr(a) == addr(b); }),
              out.end());
    return out;
  }

  // What the index holds for one entry (see the top of this file).
  static std::size_t index_bytes(std::string_view key, const LookupResult* r) {
    constexpr std::size_t kTreeNode = 32;  // rb-tree node header: colour, parent, children
    constexpr std::size_t kListNode = 16;  // list node header: prev, next
    const auto name = [](const std::string& s) {
      return kTreeNode + sizeof(typename Names::value_type) + (s.size() > 15 ? s.size() + 1 : 0);
    };
    std::size_t n = sizeof(Slot);
    const auto k = parse_cache_key(key);
    if (!k.number.empty()) {
      n += kTreeNode + sizeof(typename Numbers::value_type);
      if (r != nullptr && !r->store.routing_number.empty()) n += name(r->store.routing_number);
      if (r != nullptr && !r->store.destination_group.empty()) {
        n += name(r->store.destination_group);
      }
    } else if (k.kind == "route") {
      n += kListNode + sizeof(Pos);
    }
    return n;
  }

 private:
  static constexpr std::uint8_t kNumber = 1, kRn = 2, kGroup = 4, kRoute = 8;
  Numbers numbers_;
  Names rns_;
  Names groups_;
  Routes routes_;
};

}  // namespace speerd::pipeline
