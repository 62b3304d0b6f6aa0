// Memos of ldns's work, one of each per Handler, so per shard thread,
// without a lock: AnswerMemo for the answers ldns built (encode.hpp), and
// QueryMemo (below) for the queries it checked (query.hpp). The answer key is
// every input of encode() but the message ID: every field of the Query (the
// question as check_query() read it, RD, CD, AD, EDNS, DO, the payload size),
// of the Reply (rcode, EDE code and text, AD, RA, TTL, NAPTRs, received
// NAPTRs, SOA zone, RFC 8482, next hops), of the AnswerSettings, and the size
// cap. A hit is a copy of the bytes ldns produced for that input with the ID
// written by ldns_write_uint16; nothing else changes, so a hit is byte for
// byte what encode() would return (test_dnsfront_memo checks this over many
// inputs). The wire work stays ldns's: the memo only keeps its output.
//
// Never for a signed query (the TSIG MAC covers the request and the time:
// handler.cpp signs after encoding and passes signed queries around the
// memo). Bounded by entries and by bytes (key + answer + a fixed overhead),
// least recently used out first. A decayed TTL is another key: a cached
// result's answer gets a new entry each second its TTL changes.
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resolver/dnsfront/encode.hpp"
#include "resolver/dnsfront/query.hpp"

namespace speerd::dnsfront {

struct MemoLimits {
  std::size_t max_entries = 4096;
  std::size_t max_bytes = 4u << 20;
};

// Values by byte-string key, least recently used out first, bounded by
// entries and by bytes (key + `size` given with the value + a fixed
// overhead). Single-threaded.
template <typename V>
class BoundedLru {
 public:
  explicit BoundedLru(MemoLimits limits) : limits_(limits) {}
  BoundedLru(const BoundedLru&) = delete;
  BoundedLru& operator=(const BoundedLru&) = delete;

  // The value of `key`, now the most recently used; null when absent.
  const V* find(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &it->second->value;
  }
  // Keeps `value` under `key` (absent), evicting as needed; nothing when
  // it alone is over the bounds.
  void put(std::string_view key, V value, std::size_t size) {
    const std::size_t c = key.size() + size + kOverhead;
    if (c > limits_.max_bytes || limits_.max_entries == 0) return;
    while (!lru_.empty() &&
           (index_.size() >= limits_.max_entries || bytes_ + c > limits_.max_bytes)) {
      bytes_ -= lru_.back().cost;
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Entry{std::string(key), std::move(value), c});
    index_.emplace(lru_.front().key, lru_.begin());
    bytes_ += c;
  }

  std::size_t entries() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    std::string key;
    V value;
    std::size_t cost;
  };
  using Lru = std::list<Entry>;  // most recently used first
  // A list node, a map node and bucket, the value's and key's headers.
  static constexpr std::size_t kOverhead = 160;

  MemoLimits limits_;
  Lru lru_;
  // Keys are views of the entries' own keys (list nodes do not move).
  std::unordered_map<std::string_view, typename Lru::iterator> index_;
  std::size_t bytes_ = 0;
};

class AnswerMemo {
 public:
  explicit AnswerMemo(MemoLimits limits = {}) : lru_(limits) {}

  // encode(q, reply, s, max_size), from the memo when this input (but the
  // ID) was encoded before; `hit` (when given) says which. A query with a
  // TSIG is always encoded afresh and not kept; so is an answer ldns could
  // not build (empty).
  std::vector<std::uint8_t> encode(const Query& q, const Reply& reply, const AnswerSettings& s,
                                   std::size_t max_size, bool* hit = nullptr);

  std::size_t entries() const { return lru_.entries(); }
  std::size_t bytes() const { return lru_.bytes(); }

  // The memo key of an input (exposed for tests: equal keys must mean equal
  // answers but the ID).
  static void key_of(const Query& q, const Reply& reply, const AnswerSettings& s,
                     std::size_t max_size, std::string& out);

 private:
  BoundedLru<std::vector<std::uint8_t>> lru_;
  std::string scratch_;  // the key being looked up (its capacity is reused)
};

// The same for the query check (query.hpp): the Query that check_query()
// read from a message, by the message's bytes after the ID. check_query()
// is a function of those bytes and the ID, which goes only into Query::id,
// so a hit is check_query()'s Query with the ID of this message. Kept: the
// queries it accepts without a TSIG (a signed query's bytes never repeat);
// rejections are not kept.
class QueryMemo {
 public:
  explicit QueryMemo(MemoLimits limits = {}) : lru_(limits) {}

  Checked check(std::span<const std::uint8_t> wire, bool* hit = nullptr);

  std::size_t entries() const { return lru_.entries(); }

 private:
  BoundedLru<Query> lru_;
};

}  // namespace speerd::dnsfront
