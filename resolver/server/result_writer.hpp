// LookupResult straight to JSON text, byte for byte what
// pipeline::to_json(r).dump() gives (same members, same order -- nlohmann's
// object keys are sorted), without building a JSON tree first. Building and
// dumping the tree was most of the API's CPU time for a cached lookup (a
// routed answer is ~5 KB in ~150 values); this writes into one string.
// tests/server/test_units.cpp checks the two agree.
#pragma once

#include <string>
#include <string_view>

#include "resolver/pipeline/result.hpp"

namespace speerd::server {

void write_json(const pipeline::LookupResult& r, std::string& out);

// A JSON string literal (quotes included), escaped like nlohmann's dump():
// control characters escaped, UTF-8 kept, invalid UTF-8 replaced by U+FFFD.
void write_json_string(std::string_view s, std::string& out);

}  // namespace speerd::server
