// What a store change touched, as a node's caches see it (issue 12, item
// 4). The store's change log names, per write, the public identifiers,
// destination groups and cache flushes it affected (route groups, SED
// records and peering offers are named by the destination groups they
// serve); the node turns each entry into an Invalidation and drops only the
// cached answers it can affect. An entry it cannot place (a bulk write, a
// gap in the log, a writer that keeps no log) is `all`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/pipeline/cache_index.hpp"
#include "resolver/pipeline/result.hpp"

namespace speerd::pipeline {

struct Invalidation {
  enum class Kind : std::uint8_t {
    none,               // no cached answer (a client, a trust anchor, a new empty group)
    all,                // everything cached
    number,             // a number identifier (digits): lookups of that number
    range,              // a range [value, end] (digits): lookups of numbers in it
    prefix,             // a prefix (digits): lookups of numbers that start with it
    routing_number,     // an rn identifier: lookups routed by that routing number
    destination_group,  // a destination group's SED changed: lookups that matched it,
                        // and every /v1/route answer
    flush,              // speerctl cache flush: a +number, or a zone (under a tree:
                        // its numbers; under none: everything)
  };
  Kind kind = Kind::all;
  std::string value;
  std::string end;  // range only
};

// The store's change log kind names ("number", "range", "prefix", "rn",
// "destination_group", "flush", "all"; "client", "anchor" and "none" reach
// no cached answer); unknown text is `all` (a newer writer: drop everything
// rather than keep what may be wrong).
Invalidation invalidation_of(std::string_view kind, std::string value, std::string end);

// Does `inv` reach the answer cached under `key` (cache_key()) with result
// `r`? `tree_suffixes`: the configured trees ("e164.arpa."), to place a
// flushed zone. Failure-cache entries are asked with r = nullptr (their key
// only).
bool affects(const Invalidation& inv, std::string_view key, const LookupResult* r,
             const std::vector<std::string>& tree_suffixes);

// The index queries (cache_index.hpp) whose entries include every entry
// `inv` reaches; each is still confirmed with affects(). None for `none`;
// nullopt where only a scan can tell: `all`, a flushed zone under no tree,
// an rn or group with an empty name (entries without one are not indexed).
std::optional<std::vector<CacheSelect>> selects_of(const Invalidation& inv,
                                                   const std::vector<std::string>& tree_suffixes);

class ResultCache;
class FailureCache;
// Drops from both caches what one of `changes` reaches (affects()): through
// the indexes, or by a scan of every entry when a change needs one
// (selects_of). `all` is the caller's (Pipeline::invalidate drops the whole
// cache). Counted in ResultCache::Stats::invalidated and
// FailureCacheStats::dropped; returns how many entries went.
std::size_t invalidate_caches(ResultCache& cache, FailureCache& failures,
                              const std::vector<Invalidation>& changes,
                              const std::vector<std::string>& tree_suffixes);

}  // namespace speerd::pipeline
