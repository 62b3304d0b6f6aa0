#include "resolver/lrf/srv.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <tuple>

namespace speerd::lrf {

namespace {

std::uint16_t u16(std::string_view w, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(w[at]) << 8U) |
                                    static_cast<unsigned char>(w[at + 1]));
}

bool host_label_char(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_';
}

}  // namespace

Expected<SrvRecord> parse_srv_rdata(std::string_view w) {
  if (w.size() < 7) return fail("malformed SRV rdata: " + std::to_string(w.size()) + " bytes");
  SrvRecord r;
  r.priority = u16(w, 0);
  r.weight = u16(w, 2);
  r.port = u16(w, 4);
  std::size_t pos = 6;
  std::size_t wire_len = 0;
  std::string name;
  while (true) {
    if (pos >= w.size()) return fail("malformed SRV rdata: target name truncated");
    const auto len = static_cast<unsigned char>(w[pos]);
    if ((len & 0xc0U) != 0) {
      return fail("malformed SRV rdata: compression pointer or unknown label type in the target");
    }
    wire_len += 1U + len;
    if (wire_len > 255) return fail("malformed SRV rdata: target name longer than 255 bytes");
    ++pos;
    if (len == 0) break;
    if (pos + len > w.size()) return fail("malformed SRV rdata: target name truncated");
    for (std::size_t i = 0; i < len; ++i) {
      const auto c = static_cast<unsigned char>(w[pos + i]);
      if (!host_label_char(c)) {
        return fail("SRV target is not a host name (byte " + std::to_string(c) + " in a label)");
      }
      name.push_back(static_cast<char>(std::tolower(c)));
    }
    name.push_back('.');
    pos += len;
  }
  if (pos != w.size()) return fail("malformed SRV rdata: trailing bytes after the target");
  r.target = name.empty() ? "." : name;
  return r;
}

std::string to_text(const SrvRecord& r) {
  return std::to_string(r.priority) + " " + std::to_string(r.weight) + " " +
         std::to_string(r.port) + " " + r.target;
}

std::uint64_t srv_uniform(Random& rng, std::uint64_t bound) {
  if (bound == std::numeric_limits<std::uint64_t>::max()) return rng();
  const std::uint64_t range = bound + 1;
  // Reject the top partial bucket: every value in [0, range) is equally likely.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              (std::numeric_limits<std::uint64_t>::max() % range);
  while (true) {
    const std::uint64_t x = rng();
    if (x < limit) return x % range;
  }
}

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, Random& rng) {
  auto canonical = [](const SrvRecord& a, const SrvRecord& b) {
    return std::make_tuple(a.priority, a.weight != 0, a.target, a.port, a.weight) <
           std::make_tuple(b.priority, b.weight != 0, b.target, b.port, b.weight);
  };
  std::sort(records.begin(), records.end(), canonical);
  std::vector<SrvRecord> out;
  out.reserve(records.size());
  std::size_t group_begin = 0;
  while (group_begin < records.size()) {
    std::size_t group_end = group_begin;
    while (group_end < records.size() &&
           records[group_end].priority == records[group_begin].priority) {
      ++group_end;
    }
    // The unordered remainder of this group: "in any order, except that all those
    // with weight 0 are placed at the beginning". A seeded shuffle of the canonical
    // order, so that records of equal (zero) weight get equal chances.
    std::vector<SrvRecord> left(records.begin() + static_cast<std::ptrdiff_t>(group_begin),
                                records.begin() + static_cast<std::ptrdiff_t>(group_end));
    for (std::size_t i = left.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(srv_uniform(rng, i - 1));
      std::swap(left[i - 1], left[j]);
    }
    std::stable_partition(left.begin(), left.end(),
                          [](const SrvRecord& r) { return r.weight == 0; });
    while (!left.empty()) {
      std::uint64_t sum = 0;
      for (const auto& r : left) sum += r.weight;
      const std::uint64_t pick = srv_uniform(rng, sum);
      std::uint64_t running = 0;
      std::size_t chosen = left.size() - 1;
      for (std::size_t i = 0; i < left.size(); ++i) {
        running += left[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push_back(std::move(left[chosen]));
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    group_begin = group_end;
  }
  return out;
}

}  // namespace speerd::lrf
