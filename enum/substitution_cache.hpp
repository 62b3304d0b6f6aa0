// A bounded, thread-safe cache of parsed substitution expressions. Carriers publish the
// same regexp for millions of numbers ("!^\+1(.*)$!sip:\1@gw.carrier.example!"), so the
// RE2 compile (several microseconds, see enum/bench/) is paid once per distinct
// expression rather than once per record. Parse errors are cached too, so a zone full
// of broken regexps costs no more than a good one.
//
// One instance is shared by the lookups of a process (the caller owns it and passes it
// in SelectOptions::cache). Entries are immutable and handed out as shared_ptr, so an
// evicted entry stays valid for whoever still uses it. Eviction is least recently used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "enum/expected.hpp"
#include "enum/guarded.hpp"
#include "enum/limits.hpp"
#include "enum/substitution.hpp"

namespace speerd::luf {

class SubstitutionCache {
 public:
  explicit SubstitutionCache(std::size_t capacity = kSubstitutionCacheEntries);

  SubstitutionCache(const SubstitutionCache&) = delete;
  SubstitutionCache& operator=(const SubstitutionCache&) = delete;

  // The parsed expression, from the cache or parsed now (and then cached).
  Expected<std::shared_ptr<const Substitution>> get(std::string_view expression);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string expression;
    std::shared_ptr<const Substitution> value;  // null when the parse failed
    std::string error;
  };
  using List = std::list<Entry>;

  struct State {
    List lru;                                                    // front = most recently used
    std::unordered_map<std::string_view, List::iterator> index;  // keys point into lru
    Stats stats;
  };

  const std::size_t capacity_;
  Guarded<State> state_;
};

}  // namespace speerd::luf
