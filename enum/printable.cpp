#include "enum/printable.hpp"

#include <cstdint>
#include <cstdio>

namespace speerd::luf {

namespace {

void append_hex_byte(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

// Decodes one UTF-8 sequence (shortest form, no surrogates); returns its length or 0.
std::size_t decode_utf8(std::string_view s, std::size_t pos, std::uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  std::size_t len = 0;
  std::uint32_t v = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    v = b0 & 0x1fU;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    v = b0 & 0x0fU;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    v = b0 & 0x07U;
  } else {
    return 0;
  }
  if (s.size() - pos < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xc0U) != 0x80U) return 0;
    v = (v << 6U) | (b & 0x3fU);
  }
  const bool overlong = (len == 3 && v < 0x800) || (len == 4 && v < 0x10000);
  if (overlong || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

}  // namespace

std::string printable(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  out.reserve(n + 8);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      append_hex_byte(out, c);
    }
  }
  if (n < bytes.size()) out += "...";
  return out;
}

std::string describe_char(std::string_view text, std::size_t pos, std::size_t* length) {
  *length = 1;
  const auto c = static_cast<unsigned char>(text[pos]);
  std::string out;
  if (c >= 0x80) {
    std::uint32_t cp = 0;
    if (const std::size_t len = decode_utf8(text, pos, &cp); len != 0) {
      *length = len;
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
      return buf;
    }
    out = "byte ";
    append_hex_byte(out, c);
    return out;
  }
  out = "'";
  out += printable(text.substr(pos, 1));
  out += "'";
  return out;
}

}  // namespace speerd::luf
