#include "sed-store/prefix.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace speerd::store {

std::string SourcePrefix::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(length);
}

bool SourcePrefix::contains(const std::uint8_t* address, std::size_t size) const {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (size == 16 && v4 && std::equal(kMapped, kMapped + 12, address)) {
    address += 12;
    size = 4;
  }
  if (size != (v4 ? 4u : 16u)) return false;
  const unsigned full = length / 8, rest = length % 8;
  if (!std::equal(bytes.begin(), bytes.begin() + full, address)) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[full] & mask) == bytes[full];
}

speerd::Expected<SourcePrefix> parse_source_prefix(std::string_view text) {
  const std::string t(text);
  const auto slash = t.find('/');
  const std::string addr = t.substr(0, slash);
  SourcePrefix p;
  if (inet_pton(AF_INET, addr.c_str(), p.bytes.data()) == 1) {
    p.v4 = true;
  } else if (inet_pton(AF_INET6, addr.c_str(), p.bytes.data()) == 1) {
    p.v4 = false;
  } else {
    return speerd::fail("source prefix \"" + t + "\": not an IPv4 or IPv6 address");
  }
  const unsigned max = p.v4 ? 32 : 128;
  unsigned length = max;
  if (slash != std::string::npos) {
    const std::string_view len(t.data() + slash + 1, t.size() - slash - 1);
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), length);
    if (len.empty() || ec != std::errc() || ptr != len.data() + len.size() || length > max) {
      return speerd::fail("source prefix \"" + t + "\": the length must be 0.." +
                          std::to_string(max));
    }
  }
  p.length = static_cast<std::uint8_t>(length);
  for (unsigned bit = length; bit < max; ++bit) {
    if (p.bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return speerd::fail("source prefix \"" + t + "\": host bits are set (did you mean " + [&] {
        SourcePrefix q = p;
        for (unsigned b = length; b < max; ++b) {
          q.bytes[b / 8] &= static_cast<std::uint8_t>(~(0x80 >> (b % 8)));
        }
        return q.text();
      }() + "?)");
    }
  }
  return p;
}

}  // namespace speerd::store
