// What the DNS front end answers to a lookup's result: reply_for() maps a
// pipeline result to a Reply (encode.hpp), row by row as in the table in
// resolver/dnsfront/README.md ("Answers"). Pure: unit-tested per row.
#pragma once

#include <optional>
#include <string>

#include "resolver/dnsfront/encode.hpp"
#include "resolver/dnsfront/query.hpp"
#include "resolver/pipeline/result.hpp"

namespace speerd::dnsfront {

// The answer to a NAPTR query for a number under `apex`, from the lookup's
// result.
Reply reply_for(const Query& q, const std::string& apex, const pipeline::LookupResult& r,
                const AnswerSettings& s);

// A refusal before any lookup (REFUSED with an optional EDE).
Reply refused(std::optional<Ede> e);

}  // namespace speerd::dnsfront
