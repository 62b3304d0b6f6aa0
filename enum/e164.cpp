#include "enum/e164.hpp"

#include "enum/limits.hpp"
#include "enum/printable.hpp"

namespace speerd::luf {

namespace {

bool is_separator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string char_error(std::string_view input, std::size_t pos) {
  std::size_t len = 0;
  const std::string what = describe_char(input, pos, &len);
  const auto c = static_cast<unsigned char>(input[pos]);
  const std::string where = " at position " + std::to_string(pos + 1);
  if (c >= 0x80) return "non-ASCII character " + what + where + " (only ASCII digits are allowed)";
  if (c < 0x20 || c == 0x7f) return "control character " + what + where;
  if (c == '+') return "'+' is only allowed as the first character (found" + where + ")";
  return "invalid character " + what + where;
}

}  // namespace

Expected<E164Number> parse_e164(std::string_view input) {
  if (input.empty()) return fail("empty number");
  if (input.size() > kMaxNumberInputLength) {
    return fail("number too long (" + std::to_string(input.size()) + " > " +
                std::to_string(kMaxNumberInputLength) + " bytes)");
  }
  if (input[0] != '+') {
    std::size_t len = 0;
    return fail("number must start with '+' (found " + describe_char(input, 0, &len) + ")");
  }
  E164Number number;
  number.digits.reserve(kMaxE164Digits);
  std::size_t count = 0;
  for (std::size_t i = 1; i < input.size(); ++i) {
    const char c = input[i];
    if (is_digit(c)) {
      ++count;
      if (count <= kMaxE164Digits) number.digits += c;
    } else if (!is_separator(c)) {
      return fail(char_error(input, i));
    }
  }
  if (count == 0) return fail("no digits after '+'");
  if (count > kMaxE164Digits) {
    return fail("too many digits (" + std::to_string(count) + " > " +
                std::to_string(kMaxE164Digits) + ")");
  }
  if (number.digits[0] == '0') return fail("country code cannot start with 0");
  return number;
}

Expected<std::string> parse_enum_suffix(std::string_view suffix) {
  if (suffix.empty()) return fail("empty ENUM suffix");
  if (suffix.size() > kMaxDomainWireLength) return fail("ENUM suffix too long");
  if (suffix == ".") return fail("ENUM suffix cannot be the root");
  std::string out;
  out.reserve(suffix.size() + 1);
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= suffix.size(); ++i) {
    const bool at_end = i == suffix.size();
    if (at_end || suffix[i] == '.') {
      const std::size_t len = i - label_start;
      if (len == 0) {
        if (at_end && i > 0) break;  // the single trailing dot
        return fail("empty label in ENUM suffix at position " + std::to_string(i + 1));
      }
      if (len > kMaxLabelLength) {
        return fail("label longer than 63 bytes in ENUM suffix at position " +
                    std::to_string(label_start + 1));
      }
      if (suffix[label_start] == '-' || suffix[i - 1] == '-') {
        return fail("label starts or ends with '-' in ENUM suffix at position " +
                    std::to_string(label_start + 1));
      }
      out += '.';
      label_start = i + 1;
      continue;
    }
    const char c = suffix[i];
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') {
      return fail(char_error(suffix, i) + " in ENUM suffix");
    }
    out += to_lower(c);
  }
  // Wire length of "<d>.<d>...<suffix>": each label costs len+1, plus the root byte;
  // the presentation form with its trailing dot has the same length minus one.
  const std::size_t wire = out.size() + 1;
  if (wire + 2 * kMaxE164Digits > kMaxDomainWireLength) {
    return fail("ENUM suffix too long: a 15-digit number under it exceeds 255 bytes");
  }
  return out;
}

std::string enum_domain(const E164Number& number, std::string_view suffix) {
  std::string out;
  out.reserve(number.digits.size() * 2 + suffix.size() + 1);
  for (auto it = number.digits.rbegin(); it != number.digits.rend(); ++it) {
    out += *it;
    out += '.';
  }
  while (!suffix.empty() && suffix.back() == '.') suffix.remove_suffix(1);
  for (const char c : suffix) out += to_lower(c);
  if (!suffix.empty()) out += '.';
  return out;
}

}  // namespace speerd::luf
