// The RFC 3402 section 3.2 substitution expression carried in a NAPTR regexp field:
//
//   subst-expr   = delim-char ere delim-char repl delim-char *flags
//   repl         = *(string / backref)
//   backref      = "\" POS-DIGIT        ; POS-DIGIT = 1-9: 0 is not an allowed backref
//   flags        = "i"
//
// Parsed once into a Substitution (the ERE compiled with RE2), applied many times.
//
// Decisions on the points RFC 3402 leaves open (tests/enum/test_substitution.cpp):
//   - Delimiter: the first byte. It must be printable ASCII (0x21-0x7e) and not a
//     digit, not '\' and not the flag 'i'/'I'. Space, control bytes and non-ASCII are
//     refused: they are legal octets in the grammar but never seen in real records
//     and only make hostile input harder to read.
//   - Exactly three unescaped delimiters. "\<delim>" inside the ERE or the repl stands
//     for the delimiter character itself, always literally (so with '|' as delimiter
//     "\|" in the ERE matches a '|', it is not alternation).
//   - ERE: POSIX extended syntax (RE2 posix_syntax, no Perl classes such as \d, no
//     (?i)), leftmost-longest matching, '^' and '$' anchor at the ends of the input
//     only. A backslash escapes the next byte everywhere in the ERE (also inside a
//     bracket expression, where strict POSIX would keep it literal). An empty ERE is
//     rejected.
//   - repl: "\1".."\9" are backreferences and must name a group that exists in the
//     ERE ("\7" with one group is a parse error, RFC 3402: "error - no matching
//     subexpression"). "\0" is rejected (RFC 3402: POS-DIGIT, 0 is not allowed).
//     "\\" is a literal backslash. Any other "\x" is rejected.
//   - Flags: only "i" (either case, may repeat): case-insensitive matching. Backref
//     text is NOT lower-cased (RFC 3402 says MAY; ENUM input is digits anyway).
//   - Result: the ERE is searched for in the whole input (leftmost-longest); on a match
//     the result is repl with its backrefs substituted -- the parts of the input
//     outside the match are NOT carried over (RFC 3402: the result is the rewritten
//     key, not a sed-style in-place edit; ENUM regexps are anchored "^...$" in
//     practice, where both readings agree). No match is an error ("no match").
//   - Limits (enum/limits.hpp): the expression is at most kMaxSubstitutionLength
//     bytes (checked first), the compiled ERE gets kMaxRegexMemoryBytes, the result is
//     at most kMaxRewriteOutputLength bytes (checked before it is built). RE2 runs in
//     time linear in the input, so "(a+)+$" cannot backtrack catastrophically.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "enum/expected.hpp"

namespace re2 {
class RE2;
}

namespace speerd::luf {

class Substitution {
 public:
  static Expected<Substitution> parse(std::string_view expression);

  // Applies the expression to `input` (the AUS for ENUM: "+12155551234").
  Expected<std::string> apply(std::string_view input) const;

  char delimiter() const { return delimiter_; }
  bool case_insensitive() const { return case_insensitive_; }
  int capture_groups() const { return groups_; }
  const std::string& ere() const { return ere_; }  // as handed to RE2

  Substitution(Substitution&&) noexcept;
  Substitution& operator=(Substitution&&) noexcept;
  ~Substitution();

 private:
  // One piece of the replacement: literal text, or backref (group 1-9).
  struct Piece {
    std::string literal;
    int group = 0;  // 0: literal
  };

  Substitution() = default;

  std::unique_ptr<re2::RE2> re_;
  std::string ere_;
  std::vector<Piece> repl_;
  int groups_ = 0;
  int max_backref_ = 0;
  char delimiter_ = '!';
  bool case_insensitive_ = false;
};

}  // namespace speerd::luf
