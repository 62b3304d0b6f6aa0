#include "resolver/pipeline/invalidation.hpp"

#include "resolver/pipeline/cache.hpp"
#include "resolver/pipeline/failure_cache.hpp"
#include "resolver/pipeline/pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace speerd::pipeline {

namespace {

using Kind = Invalidation::Kind;

// The digits a flushed zone stands for under one of the trees:
// "5.1.2.1.e164.example." under "e164.example." -> "1215"; "" when it is
// under no tree (or is a tree's apex: every number of it).
bool zone_prefix(std::string zone, const std::vector<std::string>& trees, std::string& digits) {
  for (auto& c : zone) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!zone.empty() && zone.back() != '.') zone.push_back('.');
  for (const auto& t : trees) {
    if (zone.size() < t.size() || zone.compare(zone.size() - t.size(), t.size(), t) != 0) continue;
    const std::string labels = zone.substr(0, zone.size() - t.size());
    if (!labels.empty() && labels.back() != '.') continue;  // "xe164.arpa." is not under it
    digits.clear();
    for (std::size_t i = 0; i < labels.size(); i += 2) {
      if (!std::isdigit(static_cast<unsigned char>(labels[i])) || labels[i + 1] != '.') {
        return false;  // not a digit-label zone
      }
      digits.insert(digits.begin(), labels[i]);
    }
    return true;
  }
  return false;
}

}  // namespace

Invalidation invalidation_of(std::string_view kind, std::string value, std::string end) {
  Invalidation inv;
  inv.value = std::move(value);
  inv.end = std::move(end);
  if (kind == "number") {
    inv.kind = Kind::number;
  } else if (kind == "range") {
    inv.kind = Kind::range;
  } else if (kind == "prefix") {
    inv.kind = Kind::prefix;
  } else if (kind == "rn") {
    inv.kind = Kind::routing_number;
  } else if (kind == "destination_group") {
    inv.kind = Kind::destination_group;
  } else if (kind == "flush") {
    inv.kind = Kind::flush;
  } else if (kind == "client" || kind == "anchor" || kind == "none") {
    inv.kind = Kind::none;
  } else {
    inv.kind = Kind::all;
  }
  return inv;
}

bool affects(const Invalidation& inv, std::string_view key, const LookupResult* r,
             const std::vector<std::string>& tree_suffixes) {
  // A lookup of a +number, and its digits (the indexes read keys the same way).
  const auto k = parse_cache_key(key);
  const std::string_view kind = k.kind;
  const bool lookup = !k.number.empty();
  const std::string_view digits = k.number;
  switch (inv.kind) {
    case Kind::none:
      return false;
    case Kind::all:
      return true;
    case Kind::number:
      return lookup && digits == inv.value;
    case Kind::prefix:
      return lookup && digits.substr(0, inv.value.size()) == inv.value;
    case Kind::range:
      // Bounds of equal length; digit strings of that length compare as numbers.
      return lookup && digits.size() == inv.value.size() && digits >= inv.value &&
             digits <= inv.end;
    case Kind::routing_number:
      // A failure-cache entry (no result) was not routed by any rn.
      return lookup && r != nullptr && r->store.routing_number == inv.value;
    case Kind::destination_group:
      // Provisioned SED of the group changed: the lookups that matched it,
      // and any route answer (those are cross-checked by host, not group).
      if (!lookup) return kind == "route";
      return r != nullptr && r->store.destination_group == inv.value;
    case Kind::flush: {
      if (!inv.value.empty() && inv.value.front() == '+') {
        return lookup && digits == std::string_view(inv.value).substr(1);
      }
      std::string prefix;
      // A zone under no tree (a peer's domain): whatever may have used it.
      if (!zone_prefix(inv.value, tree_suffixes, prefix)) return true;
      return lookup && digits.substr(0, prefix.size()) == prefix;
    }
  }
  return true;
}

std::optional<std::vector<CacheSelect>> selects_of(const Invalidation& inv,
                                                   const std::vector<std::string>& tree_suffixes) {
  using By = CacheSelect::By;
  using Selects = std::vector<CacheSelect>;
  switch (inv.kind) {
    case Kind::none:
      return Selects{};
    case Kind::all:
      return std::nullopt;
    case Kind::number:
      return Selects{{By::number, inv.value, {}}};
    case Kind::prefix:
      return Selects{{By::number_prefix, inv.value, {}}};
    case Kind::range:
      return Selects{{By::number_range, inv.value, inv.end}};
    case Kind::routing_number:
      if (inv.value.empty()) return std::nullopt;
      return Selects{{By::routing_number, inv.value, {}}};
    case Kind::destination_group:
      if (inv.value.empty()) return std::nullopt;
      return Selects{{By::destination_group, inv.value, {}}, {By::route, {}, {}}};
    case Kind::flush: {
      if (!inv.value.empty() && inv.value.front() == '+') {
        return Selects{{By::number, inv.value.substr(1), {}}};
      }
      std::string prefix;
      if (!zone_prefix(inv.value, tree_suffixes, prefix)) return std::nullopt;
      return Selects{{By::number_prefix, std::move(prefix), {}}};
    }
  }
  return std::nullopt;
}

std::size_t invalidate_caches(ResultCache& cache, FailureCache& failures,
                              const std::vector<Invalidation>& changes,
                              const std::vector<std::string>& tree_suffixes) {
  const auto reached = [&](const std::string& key, const LookupResult* r) {
    return std::any_of(changes.begin(), changes.end(),
                       [&](const Invalidation& c) { return affects(c, key, r, tree_suffixes); });
  };
  const auto result_pred = [&](const std::string& key, const LookupResult& r) {
    return reached(key, &r);
  };
  const auto failure_pred = [&](const std::string& key) { return reached(key, nullptr); };
  std::vector<CacheSelect> sels;
  for (const auto& c : changes) {
    auto s = selects_of(c, tree_suffixes);
    if (!s) {
      // One change only a scan can place: scan once for all of them.
      return cache.erase_if(result_pred) + failures.erase_if(failure_pred);
    }
    sels.insert(sels.end(), std::make_move_iterator(s->begin()), std::make_move_iterator(s->end()));
  }
  if (sels.empty()) return 0;
  return cache.erase_selected(sels, result_pred) + failures.erase_selected(sels, failure_pred);
}

// The pipeline's side (pipeline.hpp): one store change on this shard's caches.
std::size_t Pipeline::invalidate(const std::vector<Invalidation>& changes) {
  if (changes.empty()) return 0;
  for (const auto& c : changes) {
    if (c.kind == Invalidation::Kind::all) return drop_cache();
  }
  std::vector<std::string> suffixes;
  for (const auto& t : cfg_->trees) suffixes.push_back(t.suffix);
  const std::size_t n = invalidate_caches(cache_, failures_, changes, suffixes);
  stats_.invalidated += n;
  return n;
}

}  // namespace speerd::pipeline
