#include "resolver/dnsfront/rrl.hpp"

#include <algorithm>
#include <cstring>

namespace speerd::dnsfront {

namespace {

// Clears the bits past the first `bits` of `bytes`.
template <std::size_t N>
void mask(std::array<std::uint8_t, N>& bytes, unsigned bits) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned from = static_cast<unsigned>(i) * 8;
    if (bits >= from + 8) continue;
    const unsigned keep = bits > from ? bits - from : 0;
    bytes[i] = static_cast<std::uint8_t>(bytes[i] & (0xff00u >> keep));
  }
}

}  // namespace

std::size_t ResponseRateLimiter::KeyHash::operator()(const Key& k) const noexcept {
  // FNV-1a: the key is short and not chosen by a party that sees the table's
  // layout (the prefix bits an attacker controls spread over the buckets).
  std::uint64_t h = 1469598103934665603ull;
  for (const auto b : k) h = (h ^ b) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

ResponseRateLimiter::Key ResponseRateLimiter::key_of(const boost::asio::ip::address& source) const {
  Key k{};
  auto a = source;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    mask(b, std::min(s_.ipv4_prefix, 32u));
    std::memcpy(k.data(), b.data(), b.size());
    k[16] = 4;
  } else {
    auto b = a.to_v6().to_bytes();
    mask(b, std::min(s_.ipv6_prefix, 128u));
    std::memcpy(k.data(), b.data(), b.size());
    k[16] = 6;
  }
  return k;
}

RrlAction ResponseRateLimiter::take(Bucket& b, Clock::time_point now) {
  const double rate = s_.rate;
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(rate, b.tokens + elapsed * rate);
    b.last = now;
  }
  if (b.tokens >= rate) b.over = 0;  // full again: a new episode
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return RrlAction::send;
  }
  ++b.over;
  return s_.slip > 0 && b.over % s_.slip == 0 ? RrlAction::slip : RrlAction::drop;
}

void ResponseRateLimiter::sweep(Clock::time_point now) {
  last_sweep_ = now;
  ++sweeps_;
  // A bucket untouched for a second has refilled: forgetting it changes no
  // decision.
  std::erase_if(buckets_,
                [&](const auto& e) { return now - e.second.last >= std::chrono::seconds(1); });
  if (overflow_used_ && now - overflow_.last >= std::chrono::seconds(1)) overflow_used_ = false;
}

RrlAction ResponseRateLimiter::decide(const boost::asio::ip::address& source,
                                      Clock::time_point now) {
  if (!enabled()) return RrlAction::send;
  const Key k = key_of(source);
  std::lock_guard lock(mu_);
  auto it = buckets_.find(k);
  if (it == buckets_.end()) {
    if (buckets_.size() >= s_.max_prefixes && now - last_sweep_ >= std::chrono::seconds(1)) {
      sweep(now);
    }
    if (buckets_.size() >= s_.max_prefixes) {
      if (!overflow_used_) {
        overflow_ = Bucket{static_cast<double>(s_.rate), now, 0};
        overflow_used_ = true;
      }
      return take(overflow_, now);
    }
    it = buckets_.emplace(k, Bucket{static_cast<double>(s_.rate), now, 0}).first;
  }
  return take(it->second, now);
}

std::size_t ResponseRateLimiter::prefixes() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

std::uint64_t ResponseRateLimiter::sweeps() const {
  std::lock_guard lock(mu_);
  return sweeps_;
}

}  // namespace speerd::dnsfront
