#include "enum/select.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

#include "enum/limits.hpp"
#include "enum/printable.hpp"
#include "enum/substitution.hpp"
#include "enum/substitution_cache.hpp"
#include "enum/uri_check.hpp"

namespace speerd::luf {

namespace {

enum class FlagKind { terminal, nonterminal, unknown };

FlagKind classify_flags(std::string_view flags) {
  if (flags.empty()) return FlagKind::nonterminal;
  if (flags == "u" || flags == "U") return FlagKind::terminal;
  return FlagKind::unknown;
}

// Steps 1-4 of the header for one record: fills kind/uri_or_next or reason.
void evaluate(RuleResult& r, std::string_view aus, const EnumService& requested,
              SubstitutionCache* cache) {
  const Naptr& n = r.record;
  auto skip = [&r](std::string why) {
    r.kind = RuleKind::skipped;
    r.reason = std::move(why);
  };

  const FlagKind flags = classify_flags(n.flags);
  if (flags == FlagKind::unknown) {
    return skip("unsupported flags \"" + printable(n.flags) + "\"");
  }

  const EnumserviceSpec* matched = nullptr;
  std::optional<EnumService> offered;
  if (!(flags == FlagKind::nonterminal && n.services.empty())) {
    auto parsed = parse_enumservice(n.services);
    if (!parsed) return skip("service: " + parsed.error());
    offered = std::move(*parsed);
    matched = find_match(*offered, requested);
    if (matched == nullptr) {
      return skip("service " + to_string(*offered) + " does not match requested " +
                  to_string(requested));
    }
  }

  const bool has_regexp = !n.regexp.empty();
  const bool has_replacement = !n.replacement.empty() && n.replacement != ".";
  if (has_regexp && has_replacement) {
    return skip("both regexp and replacement are set (RFC 3403 4.1: mutually exclusive)");
  }
  if (!has_regexp && !has_replacement) return skip("neither regexp nor replacement is set");

  if (flags == FlagKind::nonterminal) {
    if (has_regexp) {
      return skip("non-terminal rule with a regexp (ENUM non-terminal rules use the replacement)");
    }
    r.kind = RuleKind::nonterminal;
    r.uri_or_next = n.replacement;
    return;
  }

  if (!has_regexp) return skip("terminal 'u' rule without a regexp");
  Expected<std::string> uri = fail("");
  if (cache != nullptr) {
    auto subst = cache->get(n.regexp);
    if (!subst) return skip("regexp: " + subst.error());
    uri = (*subst)->apply(aus);
  } else {
    auto subst = Substitution::parse(n.regexp);
    if (!subst) return skip("regexp: " + subst.error());
    uri = subst->apply(aus);
  }
  if (!uri) return skip("regexp: " + uri.error());
  auto scheme = check_uri(*uri, *matched);
  if (!scheme) return skip("uri: " + scheme.error());
  r.kind = RuleKind::terminal_uri;
  r.uri_or_next = std::move(*uri);
}

void process_sorted(std::vector<RuleResult>& results, std::size_t count, std::string_view aus,
                    const EnumService& requested, const SelectOptions& options) {
  std::optional<std::uint16_t> matched_order;
  for (std::size_t i = 0; i < count; ++i) {
    RuleResult& r = results[i];
    if (i >= kMaxNaptrPerSet) {
      r.kind = RuleKind::skipped;
      r.reason = "record limit (" + std::to_string(kMaxNaptrPerSet) + " per answer) reached";
      continue;
    }
    if (options.order_policy == OrderPolicy::rfc3403 && matched_order &&
        r.record.order != *matched_order) {
      r.kind = RuleKind::skipped;
      r.reason = "superseded by order " + std::to_string(*matched_order) + " (RFC 3403 4.1)";
      continue;
    }
    evaluate(r, aus, requested, options.cache);
    if (r.kind != RuleKind::skipped && !matched_order) matched_order = r.record.order;
  }
}

void sort_results(std::vector<RuleResult>& results, std::size_t count) {
  std::stable_sort(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(count),
                   [](const RuleResult& a, const RuleResult& b) {
                     if (a.record.order != b.record.order) return a.record.order < b.record.order;
                     return a.record.preference < b.record.preference;
                   });
}

}  // namespace

std::vector<RuleResult> select_rules(std::span<const Naptr> records, std::string_view aus,
                                     const EnumService& requested, const SelectOptions& options) {
  std::vector<RuleResult> results;
  results.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    RuleResult r;
    r.record = records[i];
    r.input_index = i;
    results.push_back(std::move(r));
  }
  sort_results(results, results.size());
  process_sorted(results, results.size(), aus, requested, options);
  return results;
}

std::vector<RuleResult> select_rules_wire(std::span<const std::string> rdatas, std::string_view aus,
                                          const EnumService& requested,
                                          const SelectOptions& options) {
  std::vector<RuleResult> good;
  std::vector<RuleResult> bad;
  good.reserve(rdatas.size());
  for (std::size_t i = 0; i < rdatas.size(); ++i) {
    RuleResult r;
    r.input_index = i;
    auto parsed = parse_naptr_rdata(rdatas[i]);
    if (parsed) {
      r.record = std::move(*parsed);
      good.push_back(std::move(r));
    } else {
      r.kind = RuleKind::skipped;
      r.reason = "malformed rdata: " + parsed.error();
      bad.push_back(std::move(r));
    }
  }
  sort_results(good, good.size());
  process_sorted(good, good.size(), aus, requested, options);
  for (auto& r : bad) good.push_back(std::move(r));
  return good;
}

bool has_usable(std::span<const RuleResult> results) {
  return std::any_of(results.begin(), results.end(),
                     [](const RuleResult& r) { return r.kind != RuleKind::skipped; });
}

}  // namespace speerd::luf
