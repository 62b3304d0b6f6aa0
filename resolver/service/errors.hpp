// The API's stable error codes: every error response is
//   {"error": {"code": "<code>", "message": "<text>"}}
// with the HTTP status below. Clients switch on `code`, never on `message`.
// A number that is unknown and a number the client may not see are not
// errors: both are a 200 answer with verdict "reject", code "not-found".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace speerd::service {

enum class ErrorCode : std::uint8_t {
  bad_request,             // 400 malformed query string, JSON, or missing parameter
  bad_input,               // 400 the service or URI is not valid (the pipeline says why)
  bad_number,              // 400 a number speerd cannot read as E.164 (the message says the form)
  forbidden,               // 403 valid certificate, but no enabled client (then closed)
  no_such_endpoint,        // 404
  method_not_allowed,      // 405 (with Allow)
  unsupported_media_type,  // 415 POST body that is not application/json
  body_too_large,          // 413 (the connection is closed)
  batch_too_large,         // 413 more numbers than [limits] max_batch
  headers_too_large,       // 431 (the connection is closed)
  rate_limited,            // 429 (with Retry-After)
  shutting_down,           // 503 the server is draining
  directory_unavailable,   // 503 the client directory (store) cannot say who this is
  internal_error,          // 500
  kCount
};

struct ErrorInfo {
  std::string_view code;
  int status;
};

inline constexpr std::array<ErrorInfo, static_cast<std::size_t>(ErrorCode::kCount)> kErrors = {{
    {"bad-request", 400},
    {"bad-input", 400},
    {"bad-number", 400},
    {"forbidden", 403},
    {"no-such-endpoint", 404},
    {"method-not-allowed", 405},
    {"unsupported-media-type", 415},
    {"body-too-large", 413},
    {"batch-too-large", 413},
    {"headers-too-large", 431},
    {"rate-limited", 429},
    {"shutting-down", 503},
    {"directory-unavailable", 503},
    {"internal-error", 500},
}};

inline const ErrorInfo& info(ErrorCode c) {
  return kErrors[static_cast<std::size_t>(c)];
}

}  // namespace speerd::service
