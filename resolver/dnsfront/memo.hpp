// A memo of the answers ldns built (encode.hpp): one per Handler, so per
// shard thread, without a lock. The key is every input of encode() but the
// message ID: every field of the Query (the question as check_query() read
// it, RD, CD, AD, EDNS, DO, the payload size), of the Reply (rcode, EDE code
// and text, AD, RA, TTL, NAPTRs, received NAPTRs, SOA zone, RFC 8482), of
// the AnswerSettings, and the size cap. A hit is a copy of the bytes ldns
// produced for that input with the ID written by ldns_write_uint16; nothing
// else changes, so a hit is byte for byte what encode() would return
// (test_dnsfront_memo checks this over many inputs). The wire work stays
// ldns's: the memo only keeps its output.
//
// Never for a signed query (the TSIG MAC covers the request and the time:
// handler.cpp signs after encoding and passes signed queries around the
// memo). Bounded by entries and by bytes (key + answer + a fixed overhead),
// least recently used out first. A decayed TTL is another key: a cached
// result's answer gets a new entry each second its TTL changes.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resolver/dnsfront/encode.hpp"

namespace speerd::dnsfront {

struct MemoLimits {
  std::size_t max_entries = 4096;
  std::size_t max_bytes = 4u << 20;
};

class AnswerMemo {
 public:
  explicit AnswerMemo(MemoLimits limits = {}) : limits_(limits) {}
  AnswerMemo(const AnswerMemo&) = delete;
  AnswerMemo& operator=(const AnswerMemo&) = delete;

  // encode(q, reply, s, max_size), from the memo when this input (but the
  // ID) was encoded before; `hit` (when given) says which. A query with a
  // TSIG is always encoded afresh and not kept; so is an answer ldns could
  // not build (empty).
  std::vector<std::uint8_t> encode(const Query& q, const Reply& reply, const AnswerSettings& s,
                                   std::size_t max_size, bool* hit = nullptr);

  std::size_t entries() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }

  // The memo key of an input (exposed for tests: equal keys must mean equal
  // answers but the ID).
  static void key_of(const Query& q, const Reply& reply, const AnswerSettings& s,
                     std::size_t max_size, std::string& out);

 private:
  struct Entry {
    std::string key;
    std::vector<std::uint8_t> wire;
  };
  using Lru = std::list<Entry>;  // most recently used first
  static std::size_t cost(const Entry& e) { return e.key.size() + e.wire.size() + kOverhead; }
  // A list node, a map node and bucket, the vector and string headers.
  static constexpr std::size_t kOverhead = 160;

  MemoLimits limits_;
  Lru lru_;
  // Keys are views of the entries' own keys (list nodes do not move).
  std::unordered_map<std::string_view, Lru::iterator> index_;
  std::size_t bytes_ = 0;
  std::string scratch_;  // the key being looked up (its capacity is reused)
};

}  // namespace speerd::dnsfront
