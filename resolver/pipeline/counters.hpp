// What a pipeline counts, in one place: the front ends export every field as
// a metric row (resolver/service/metrics.hpp), and tests read them directly.
// Counts belong to the pipeline serving now: a reload that builds a new
// pipeline starts them at 0 (a counter reset, as Prometheus expects).
#pragma once

#include <cstddef>
#include <cstdint>

#include "enum/substitution_cache.hpp"
#include "resolver/pipeline/cache.hpp"
#include "resolver/pipeline/failure_cache.hpp"

namespace speerd::pipeline {

struct PipelineStats {
  std::uint64_t lookups = 0;      // lookup() + route() calls
  std::uint64_t resolutions = 0;  // lookups that went to DNS (cache miss, not joined)
  std::uint64_t joined = 0;       // lookups that joined an identical one in flight
  std::uint64_t stale_served = 0;
  std::uint64_t routed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t store_errors = 0;  // store queries that failed (lookups went on unchecked)
};

struct PipelineCounters {
  PipelineStats pipeline;
  ResultCache::Stats cache;
  std::size_t cache_entries = 0;
  FailureCacheStats failures;
  luf::SubstitutionCache::Stats regexps;  // compiled NAPTR regexps (enum/substitution_cache.hpp)
};

}  // namespace speerd::pipeline
