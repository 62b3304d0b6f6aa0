// The NAPTR processing step of one ENUM answer (RFC 6116 section 3.4, RFC 3402 section
// 3.3, RFC 3403 section 4.1): sort the rules, keep those for the requested service,
// rewrite the AUS into a URI (terminal rules) or name the domain to query next
// (non-terminal rules), and say why every other record was not used.
//
// Per record, in this order:
//   1. flags: "u"/"U" is terminal (RFC 6116: the result is a URI); "" is non-terminal;
//      anything else (unknown flags, "s", "a", "p", combinations) -> skipped, since
//      RFC 3403 4.1 says a client must not use a rule whose flags it does not know.
//   2. services: must parse (enumservice.hpp) and match the requested service ->
//      otherwise skipped with reason "service ...". A non-terminal record with an
//      EMPTY services field applies to every service (the next domain's records decide).
//   3. regexp / replacement (RFC 3403 4.1: mutually exclusive): both set -> skipped;
//      neither set -> skipped. A terminal rule needs the regexp; a non-terminal rule
//      needs the replacement (ENUM does not build the next key with a regexp).
//   4. terminal: the regexp is parsed and applied to the AUS (substitution.hpp); a
//      parse error, no match, or a result that fails check_uri (uri_check.hpp, scheme
//      taken from the matched enumservice) -> skipped with the reason.
//
// Order handling. RFC 3403 section 4.1: "once a match is found the client MUST NOT
// consider records with a different Order but they MAY process records with the same
// Order but different Preferences". A record "matches" when it passes steps 1-4.
// With OrderPolicy::rfc3403 (the default) the usable records of the FIRST order value
// that has any are returned, by preference: they are the caller's fallbacks (if the
// first URI cannot be reached, try the next). Records with higher order values are
// still returned, as skipped with reason "superseded by order N", so traces show them.
// If no record of an order value is usable, the next order value is considered, as
// RFC 3402 3.3 prescribes. OrderPolicy::all_orders returns the usable records of
// every order value (for diagnostics or a deliberately lenient policy).
//
// At most kMaxNaptrPerSet records (after sorting) are evaluated; the rest are skipped
// with reason "record limit". Records whose RDATA does not decode come last, skipped.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enum/enumservice.hpp"
#include "enum/names.hpp"
#include "enum/naptr.hpp"

namespace speerd::luf {

enum class RuleKind {
  terminal_uri,  // uri_or_next is the URI
  nonterminal,   // uri_or_next is the domain to query for NAPTR next
  skipped,       // reason says why
};
SPEERD_ENUM_NAMES(RuleKind, skipped, "terminal_uri", "nonterminal", "skipped");

inline std::string_view to_string(RuleKind kind) {
  return enum_name(kind);
}

struct RuleResult {
  RuleKind kind = RuleKind::skipped;
  Naptr record;
  std::string uri_or_next;
  std::string reason;           // why skipped; empty otherwise
  std::size_t input_index = 0;  // position of the record in the input, for traces
};

enum class OrderPolicy {
  rfc3403,     // only the first order value with a usable record (default)
  all_orders,  // usable records of every order value
};

class SubstitutionCache;

struct SelectOptions {
  OrderPolicy order_policy = OrderPolicy::rfc3403;
  // Compiled regexps shared across lookups (not owned; may be null: parse each time).
  SubstitutionCache* cache = nullptr;
};

// Evaluates parsed records for `aus` ("+12155551234") and the requested service.
// Results come in (order, preference) order, stable for equal pairs; one per input.
std::vector<RuleResult> select_rules(std::span<const Naptr> records, std::string_view aus,
                                     const EnumService& requested,
                                     const SelectOptions& options = {});

// The same for the raw RDATA of the answer's NAPTR RRs (parse_naptr_rdata on each).
std::vector<RuleResult> select_rules_wire(std::span<const std::string> rdatas, std::string_view aus,
                                          const EnumService& requested,
                                          const SelectOptions& options = {});

// True if any result is usable (terminal or non-terminal).
bool has_usable(std::span<const RuleResult> results);

}  // namespace speerd::luf
