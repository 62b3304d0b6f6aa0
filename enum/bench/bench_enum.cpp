// Micro-benchmark of the ENUM logic (not a test). Prints rewrites per second for a
// typical ENUM rule, pre-parsed and parsed each time, and the cost of evaluating one
// 10-record NAPTR set from wire RDATA (parse + sort + filter + rewrite).
//
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rel --target bench_enum && build-rel/enum/bench_enum
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "enum/enumservice.hpp"
#include "enum/naptr.hpp"
#include "enum/select.hpp"
#include "enum/substitution.hpp"
#include "enum/substitution_cache.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using speerd::luf::Substitution;

// Keeps the optimiser from dropping work whose result is otherwise unused.
volatile std::size_t g_sink = 0;

// Best of kRounds timed runs: the machine is shared, the minimum is the least noisy.
constexpr int kRounds = 5;

template <typename F>
double ns_per_op(int iterations, F&& body) {
  body();  // warm up
  double best = 0;
  for (int round = 0; round < kRounds; ++round) {
    const auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) body();
    const double ns =
        std::chrono::duration<double, std::nano>(Clock::now() - start).count() / iterations;
    if (round == 0 || ns < best) best = ns;
  }
  return best;
}

void report(const char* what, double ns) {
  std::printf("%-58s %10.0f ns/op %12.0f ops/s\n", what, ns, 1e9 / ns);
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bench_enum: %s\n", why.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? static_cast<int>(std::strtol(argv[1], nullptr, 10)) : 200000;
  if (n < 10) die("iterations must be at least 10");
  const std::string aus = "+12155551234";
  const char* rules[] = {
      "!^.*$!sip:info@example.com!",
      "!^\\+1(.*)$!sip:\\1@gw.example.com!",
      "!^\\+(1)([0-9]{3})([0-9]+)$!sip:+\\1\\2\\3@gw.example.com;user=phone!",
  };
  for (const char* rule : rules) {
    auto parsed = Substitution::parse(rule);
    if (!parsed) die(parsed.error());
    std::printf("rule %s\n", rule);
    report("  apply, pre-parsed Substitution", ns_per_op(n, [&] {
             auto out = parsed->apply(aus);
             g_sink = g_sink + out->size();
           }));
    report("  parse + apply each time", ns_per_op(n / 10, [&] {
             auto s = Substitution::parse(rule);
             auto out = s->apply(aus);
             g_sink = g_sink + out->size();
           }));
  }

  // A 10-record set as a carrier might publish it: mixed services, orders, a
  // non-terminal, a record for another service, the SIP rules at order 100.
  const char* set_text[] = {
      R"(100 10 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@gw1.example.com!" .)",
      R"(100 20 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@gw2.example.com!" .)",
      R"(100 30 "u" "E2U+voice:sip" "!^.*$!sip:voice@example.com!" .)",
      R"(100 40 "u" "E2U+voice:tel" "!^.*$!tel:+12155551234!" .)",
      R"(100 50 "u" "E2U+email:mailto" "!^.*$!mailto:info@example.com!" .)",
      R"(100 60 "u" "E2U+web:http" "!^.*$!http://www.example.com/!" .)",
      R"(100 70 "u" "E2U+pres" "!^.*$!pres:info@example.com!" .)",
      R"(200 10 "u" "E2U+sip" "!^.*$!sip:backup@example.net!" .)",
      R"(200 20 "" "E2U+sip" "" next.example.org.)",
      R"(300 10 "u" "E2U+sip" "!^(.*)$!sip:\\1@last.example.net!i" .)",
  };
  std::vector<std::string> rdatas;
  for (const char* t : set_text) {
    auto wire = speerd::luf::naptr_text_to_wire(t);
    if (!wire) die(std::string(t) + ": " + wire.error());
    rdatas.push_back(*wire);
  }
  const auto sip = speerd::luf::parse_enumservice("E2U+sip");
  if (!sip) die(sip.error());
  std::size_t usable = 0;
  for (const auto& r : speerd::luf::select_rules_wire(rdatas, aus, *sip)) {
    usable += r.kind != speerd::luf::RuleKind::skipped ? 1 : 0;
  }
  std::printf("10-record NAPTR set, E2U+sip: %zu usable records\n", usable);
  report("  parse rdata + sort + filter + rewrite (rfc3403 order)", ns_per_op(n / 10, [&] {
           auto results = speerd::luf::select_rules_wire(rdatas, aus, *sip);
           g_sink = g_sink + results.size();
         }));
  speerd::luf::SelectOptions all;
  all.order_policy = speerd::luf::OrderPolicy::all_orders;
  report("  the same, all_orders (every SIP rule rewritten)", ns_per_op(n / 10, [&] {
           auto results = speerd::luf::select_rules_wire(rdatas, aus, *sip, all);
           g_sink = g_sink + results.size();
         }));
  speerd::luf::SubstitutionCache cache;
  speerd::luf::SelectOptions cached;
  cached.cache = &cache;
  report("  parse rdata + sort + filter + rewrite, SubstitutionCache", ns_per_op(n / 10, [&] {
           auto results = speerd::luf::select_rules_wire(rdatas, aus, *sip, cached);
           g_sink = g_sink + results.size();
         }));
  cached.order_policy = speerd::luf::OrderPolicy::all_orders;
  report("  the same, all_orders, SubstitutionCache", ns_per_op(n / 10, [&] {
           auto results = speerd::luf::select_rules_wire(rdatas, aus, *sip, cached);
           g_sink = g_sink + results.size();
         }));
  std::vector<speerd::luf::Naptr> parsed;
  parsed.reserve(rdatas.size());
  for (const auto& r : rdatas) parsed.push_back(*speerd::luf::parse_naptr_rdata(r));
  report("  rdata parse alone (10 records)", ns_per_op(n / 10, [&] {
           for (const auto& r : rdatas) {
             auto x = speerd::luf::parse_naptr_rdata(r);
             g_sink = g_sink + x->regexp.size();
           }
         }));
  report("  sort + filter + rewrite of parsed records, SubstitutionCache", ns_per_op(n / 10, [&] {
           auto results = speerd::luf::select_rules(parsed, aus, *sip, cached);
           g_sink = g_sink + results.size();
         }));
  return 0;
}
