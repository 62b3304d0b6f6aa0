// LookupResult straight to JSON text, byte for byte what
// pipeline::to_json(r).dump() gives (same members, same order -- nlohmann's
// object keys are sorted), without building a JSON tree first. Building and
// dumping the tree was most of the API's CPU time for a cached lookup (a
// routed answer is ~5 KB in ~150 values); this writes into one string.
// tests/server/test_result_writer.cpp checks the two agree.
#pragma once

#include <string>
#include <string_view>

#include "enum/client_options.hpp"
#include "resolver/pipeline/result.hpp"

namespace speerd::server {

void write_json(const pipeline::LookupResult& r, std::string& out);

// What the client asked of the answer (query parameters view, transport,
// max_targets; or its stored defaults): the view, and the targets kept --
// those whose transport is in `transports` (0: any), the first `max_targets`
// of them (0: all), in speerd's order. `dialed`: the number as the client
// sent it, when a dial plan turned it into the result's E.164 number.
struct AnswerShape {
  luf::View view = luf::View::full;
  std::uint8_t transports = 0;
  std::uint32_t max_targets = 0;
  std::string_view dialed;

  bool plain() const { return view == luf::View::full && transports == 0 && max_targets == 0; }
};

// The answer in `shape`. The full view with no filter is write_json(r, out).
// When the filter leaves none of a routed result's targets, the answer is a
// reject (code no-targets) that says which transports the route offers: a
// client is never handed a route it cannot use.
//
// The compact view: {"age","cached","code","failure_cache","number",
// "outcome":{state,reason,ede} (the weakest step),"reason" (rejects only),
// "targets":[{"address","host","port","transport"}],"ttl","uri","verdict"}
// where "address" is usable as is: an IPv6 literal in brackets.
void write_answer(const pipeline::LookupResult& r, const AnswerShape& shape, std::string& out);

// A JSON string literal (quotes included), escaped like nlohmann's dump():
// control characters escaped, UTF-8 kept, invalid UTF-8 replaced by U+FFFD.
void write_json_string(std::string_view s, std::string& out);

}  // namespace speerd::server
