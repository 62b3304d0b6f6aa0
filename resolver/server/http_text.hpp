// The small pieces of HTTP text speerd handles itself: the request target's
// query string and the response bytes. Responses are built into one buffer
// and sent with one write (a header/body split costs keep-alive clients a
// delayed-ACK round trip).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enum/expected.hpp"
#include "resolver/service/errors.hpp"

namespace speerd::server {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct RequestTarget {
  std::string_view path;
  std::string_view query;  // without the '?'
};
RequestTarget split_target(std::string_view target);

// Percent-decodes one component (RFC 3986). '+' is a literal plus, not a
// space: E.164 numbers and ENUM services ("E2U+sip") carry one, and SBEs put
// them in URLs unescaped. Control characters (decoded or not), bad escapes
// and over-long values are errors.
Expected<std::string> percent_decode(std::string_view in);

// name=value&name=value. Duplicate names, empty names, more than
// service::kMaxQueryParams parameters are errors (resolver/service/limits.hpp).
Expected<QueryParams> parse_query(std::string_view query);

// The value of `name`, if present.
std::optional<std::string> param(const QueryParams& q, std::string_view name);

struct Response {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string_view content_type = "application/json";
  std::optional<long> retry_after_s;  // 429
  std::string_view allow;             // 405
  bool close = false;                 // send `Connection: close` and close after
};

std::string_view reason_phrase(int status);

// The JSON error body.
std::string error_body(service::ErrorCode c, std::string_view message);

// Status line, headers and body in one buffer (appended to `out`, so that a
// connection can reuse its buffer).
void serialize(const Response& r, std::string& out);
inline std::string serialize(const Response& r) {
  std::string out;
  serialize(r, out);
  return out;
}

}  // namespace speerd::server
