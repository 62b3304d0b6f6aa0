#include "enum/substitution.hpp"

#include <re2/re2.h>

#include <array>

#include "enum/limits.hpp"
#include "enum/printable.hpp"

namespace speerd::luf {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string at(std::size_t pos) {
  return " at position " + std::to_string(pos + 1);
}

std::string quoted(std::string_view expression, std::size_t pos) {
  std::size_t len = 0;
  return describe_char(expression, pos, &len);
}

Expected<char> check_delimiter(char d) {
  const auto u = static_cast<unsigned char>(d);
  if (u <= 0x20 || u >= 0x7f) {
    return fail("delimiter " + quoted(std::string_view(&d, 1), 0) +
                " is not a printable ASCII character");
  }
  if (d >= '0' && d <= '9') return fail("delimiter '" + std::string(1, d) + "' is a digit");
  if (d == '\\') return fail("delimiter cannot be a backslash");
  if (d == 'i' || d == 'I') return fail("delimiter cannot be the flag character 'i'");
  return d;
}

}  // namespace

Substitution::Substitution(Substitution&&) noexcept = default;
Substitution& Substitution::operator=(Substitution&&) noexcept = default;
Substitution::~Substitution() = default;

Expected<Substitution> Substitution::parse(std::string_view expression) {
  if (expression.size() > kMaxSubstitutionLength) {
    return fail("substitution expression too long (" + std::to_string(expression.size()) + " > " +
                std::to_string(kMaxSubstitutionLength) + " bytes)");
  }
  if (expression.empty()) return fail("empty substitution expression");
  auto delim = check_delimiter(expression[0]);
  if (!delim) return fail(delim.error());

  Substitution s;
  s.delimiter_ = *delim;
  const char d = *delim;
  const std::size_t size = expression.size();

  // The ERE, up to the second unescaped delimiter.
  std::size_t pos = 1;
  while (pos < size && expression[pos] != d) {
    const char c = expression[pos];
    if (c == '\\' && pos + 1 < size) {
      const char next = expression[pos + 1];
      if (next == d && is_alnum(d)) {
        s.ere_ += d;  // "\a" would be an RE2 escape: the delimiter means itself
      } else {
        s.ere_ += c;
        s.ere_ += next;  // "\!" and "\|" are literal in RE2; other escapes pass through
      }
      pos += 2;
      continue;
    }
    s.ere_ += c;
    ++pos;
  }
  if (pos >= size) return fail("missing second delimiter '" + std::string(1, d) + "'");
  if (s.ere_.empty()) return fail("empty regular expression");
  ++pos;

  // The replacement, up to the third unescaped delimiter.
  Piece literal;
  auto flush = [&s, &literal] {
    if (!literal.literal.empty()) s.repl_.push_back(std::move(literal));
    literal = Piece{};
  };
  while (pos < size && expression[pos] != d) {
    const char c = expression[pos];
    if (c != '\\') {
      literal.literal += c;
      ++pos;
      continue;
    }
    if (pos + 1 >= size) {  // a trailing backslash escapes nothing
      return fail("missing final delimiter '" + std::string(1, d) + "'");
    }
    const char next = expression[pos + 1];
    if (next == d) {
      literal.literal += d;
    } else if (next >= '1' && next <= '9') {
      flush();
      const int group = next - '0';
      s.repl_.push_back(Piece{{}, group});
      if (group > s.max_backref_) s.max_backref_ = group;
    } else if (next == '0') {
      return fail("backreference \\0" + at(pos) + " is not allowed (RFC 3402: \\1 to \\9 only)");
    } else if (next == '\\') {
      literal.literal += '\\';
    } else {
      return fail("unsupported escape '\\" + printable(std::string_view(&next, 1)) +
                  "' in replacement" + at(pos));
    }
    pos += 2;
  }
  flush();
  if (pos >= size) return fail("missing final delimiter '" + std::string(1, d) + "'");
  ++pos;

  for (; pos < size; ++pos) {
    const char c = expression[pos];
    if (c == 'i' || c == 'I') {
      s.case_insensitive_ = true;
    } else {
      return fail("unknown flag " + quoted(expression, pos) + at(pos) + " (only 'i' is defined)");
    }
  }

  RE2::Options options;
  options.set_posix_syntax(true);
  options.set_longest_match(true);
  options.set_one_line(true);
  options.set_log_errors(false);
  options.set_max_mem(kMaxRegexMemoryBytes);
  options.set_case_sensitive(!s.case_insensitive_);
  s.re_ = std::make_unique<RE2>(s.ere_, options);
  if (!s.re_->ok()) {
    return fail("invalid regular expression: " + printable(s.re_->error()));
  }
  s.groups_ = s.re_->NumberOfCapturingGroups();
  if (s.max_backref_ > s.groups_) {
    return fail("backreference \\" + std::to_string(s.max_backref_) + " but the expression has " +
                std::to_string(s.groups_) + (s.groups_ == 1 ? " group" : " groups"));
  }
  return s;
}

Expected<std::string> Substitution::apply(std::string_view input) const {
  std::array<re2::StringPiece, 10> groups;
  const int n = max_backref_ + 1;
  if (!re_->Match(re2::StringPiece(input.data(), input.size()), 0, input.size(), RE2::UNANCHORED,
                  groups.data(), n)) {
    return fail("regexp does not match '" + printable(input) + "'");
  }
  std::size_t length = 0;
  for (const Piece& p : repl_) {
    length += p.group == 0 ? p.literal.size() : groups[p.group].size();
  }
  if (length > kMaxRewriteOutputLength) {
    return fail("rewrite result too long (" + std::to_string(length) + " > " +
                std::to_string(kMaxRewriteOutputLength) + " bytes)");
  }
  std::string out;
  out.reserve(length);
  for (const Piece& p : repl_) {
    if (p.group == 0) {
      out += p.literal;
    } else if (!groups[p.group].empty()) {  // a group that took no part is empty
      out.append(groups[p.group].data(), groups[p.group].size());
    }
  }
  return out;
}

}  // namespace speerd::luf
