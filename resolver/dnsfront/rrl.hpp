// Response-rate limiting on UDP (issue 14 item 5; the model: BIND's and
// Knot's RRL). A UDP source address can be forged, so a server that answers
// every datagram can be made to send its answers to a victim (reflection and
// amplification, RFC 6404 2.1.3). speerd counts the answers it sends to each
// source prefix (IPv4 /ipv4_prefix, IPv6 /ipv6_prefix): beyond `rate` per
// second (a bucket of `rate` answers, refilled at `rate` per second), an
// answer is not sent; every `slip`-th of those goes out instead as an empty
// answer with TC=1, so a real client behind the prefix retries over TCP
// (which cannot be spoofed) and is still served, while a victim gets at most
// small answers at a fraction of the rate. slip 0: never a TC answer; 1:
// always one.
//
// One limiter per process, shared by every shard's UDP loops (a source's
// datagrams reach whichever shard is waiting), behind a mutex: a decision is a
// hash lookup. The table holds at most `max_prefixes` prefixes; when it is full
// of prefixes seen within the last second, new ones share one bucket (so a
// flood of forged sources cannot flush the table to reset a victim's count:
// the newcomers are limited together instead). A full table is swept of
// refilled prefixes at most once a second, never once per datagram.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "resolver/service/metrics.hpp"

namespace speerd::dnsfront {

struct RrlSettings {
  std::uint32_t rate = 0;  // answers per second and prefix; 0: off
  std::uint32_t slip = 2;
  unsigned ipv4_prefix = 24;
  unsigned ipv6_prefix = 56;
  std::size_t max_prefixes = 100000;
};

// What to do with one UDP answer (also the metric's label values).
using RrlAction = service::DnsRrlAction;

class ResponseRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ResponseRateLimiter(RrlSettings s) : s_(s) {}

  bool enabled() const { return s_.rate > 0; }
  // The decision for one answer to `source` at `now` (counted when sent).
  RrlAction decide(const boost::asio::ip::address& source, Clock::time_point now);
  std::size_t prefixes() const;
  // Sweeps of a full table so far: at most one a second, so that a flood of
  // new sources does not scan the table once per datagram.
  std::uint64_t sweeps() const;

 private:
  // The source with its host bits cleared, and its family.
  using Key = std::array<std::uint8_t, 17>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
    std::uint64_t over = 0;  // answers over the rate since the bucket was last full
  };

  Key key_of(const boost::asio::ip::address& source) const;
  RrlAction take(Bucket& b, Clock::time_point now);
  void sweep(Clock::time_point now);

  const RrlSettings s_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Bucket, KeyHash> buckets_;
  Bucket overflow_;  // the prefixes the full table has no room for
  bool overflow_used_ = false;
  Clock::time_point last_sweep_{};
  std::uint64_t sweeps_ = 0;
};

}  // namespace speerd::dnsfront
