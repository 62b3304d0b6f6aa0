// Fuzz target for the ENUM stage: untrusted NAPTR RDATA and an AUS in, through every
// parser of enum/ and the selection step. Besides crashes (ASan/UBSan), it checks the
// promises the rest of speerd relies on and traps when one breaks:
//   - a terminal result is a URI that passes check_uri_syntax, within the output limit;
//   - results come sorted by (order, preference), one per input record;
//   - parsed records print as text that parses back to the same record;
//   - selection with a SubstitutionCache gives exactly the results it gives without.
//
// Input layout (so the fuzzer can steer each part):
//   byte 0        bits 0-2: requested service (kServices); bit 3: all_orders policy
//   byte 1        AUS length L (mod 33)
//   L bytes       the AUS (normally "+<digits>", here anything)
//   the rest      records, each a 2-byte big-endian length and that many RDATA bytes
//                 (a length past the end takes what is left)
// The rest is also fed whole to the E.164, enumservice and substitution parsers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "enum/e164.hpp"
#include "enum/enumservice.hpp"
#include "enum/limits.hpp"
#include "enum/naptr.hpp"
#include "enum/select.hpp"
#include "enum/substitution.hpp"
#include "enum/substitution_cache.hpp"
#include "enum/uri_check.hpp"

namespace {

using namespace speerd::luf;

constexpr const char* kServices[] = {
    "E2U+sip",          "E2U+sips", "E2U+voice:sip", "E2U+voice", "E2U+sip+voice:sip+pstn:sip",
    "E2U+email:mailto", "E2U+pres", "E2U+h323",
};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_terminal(const std::string& uri) {
  check(uri.size() <= kMaxRewriteOutputLength);
  check(static_cast<bool>(check_uri_syntax(uri)));
  for (const char c : uri) check(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
}

void exercise_substitution(std::string_view expression, std::string_view aus) {
  auto s = Substitution::parse(expression);
  if (!s) {
    check(!s.error().empty());
    return;
  }
  check(expression.size() <= kMaxSubstitutionLength);
  auto out = s->apply(aus);
  if (out) check(out->size() <= kMaxRewriteOutputLength);
}

void exercise_record(const Naptr& n, std::string_view aus) {
  // Text round trip: what to_text prints, parse_naptr_text reads back unchanged.
  auto again = parse_naptr_text(to_text(n));
  check(again.has_value() && *again == n);
  if (auto svc = parse_enumservice(n.services)) {
    auto reparsed = parse_enumservice(to_string(*svc));
    check(reparsed.has_value() && *reparsed == *svc);
  }
  exercise_substitution(n.regexp, aus);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const unsigned control = data[0];
  const std::size_t aus_len = std::min<std::size_t>(data[1] % 33, size - 2);
  const std::string_view aus = in.substr(2, aus_len);
  const std::string_view rest = in.substr(2 + aus_len);

  // The whole rest through the string parsers.
  if (auto number = parse_e164(rest)) {
    check(!number->digits.empty() && number->digits.size() <= kMaxE164Digits);
    check(enum_domain(*number, "e164.arpa").size() == number->digits.size() * 2 + 10);
  }
  (void)parse_enumservice(rest);
  (void)parse_enum_suffix(rest);
  exercise_substitution(rest, aus);

  // The rest as a list of RDATA.
  std::vector<std::string> rdatas;
  std::size_t pos = 0;
  while (pos + 2 <= rest.size() && rdatas.size() < 2 * kMaxNaptrPerSet) {
    const std::size_t len =
        (static_cast<std::size_t>(static_cast<unsigned char>(rest[pos])) << 8U) |
        static_cast<unsigned char>(rest[pos + 1]);
    pos += 2;
    const std::size_t take = std::min(len, rest.size() - pos);
    rdatas.emplace_back(rest.substr(pos, take));
    pos += take;
  }
  for (const auto& r : rdatas) {
    if (auto n = parse_naptr_rdata(r)) exercise_record(*n, aus);
  }

  auto requested = parse_enumservice(kServices[control & 7U]);
  check(requested.has_value());
  SelectOptions options;
  if ((control & 8U) != 0) options.order_policy = OrderPolicy::all_orders;
  const auto results = select_rules_wire(rdatas, aus, *requested, options);
  check(results.size() == rdatas.size());
  SubstitutionCache cache(4);  // small: the set evicts while it is evaluated
  options.cache = &cache;
  for (int round = 0; round < 2; ++round) {
    const auto cached = select_rules_wire(rdatas, aus, *requested, options);
    check(cached.size() == results.size());
    for (std::size_t i = 0; i < cached.size(); ++i) {
      check(cached[i].kind == results[i].kind && cached[i].uri_or_next == results[i].uri_or_next &&
            cached[i].reason == results[i].reason &&
            cached[i].input_index == results[i].input_index);
    }
  }
  const RuleResult* prev = nullptr;
  for (const auto& r : results) {
    check(r.input_index < rdatas.size());
    switch (r.kind) {
      case RuleKind::terminal_uri:
        check_terminal(r.uri_or_next);
        check(r.reason.empty());
        break;
      case RuleKind::nonterminal:
        check(!r.uri_or_next.empty() && r.uri_or_next != ".");
        break;
      case RuleKind::skipped:
        check(!r.reason.empty());
        break;
    }
    if (r.reason.rfind("malformed rdata", 0) == 0) continue;  // unparsed ones come last
    if (prev != nullptr) {
      check(
          prev->record.order < r.record.order ||
          (prev->record.order == r.record.order && prev->record.preference <= r.record.preference));
    }
    prev = &r;
  }
  return 0;
}
