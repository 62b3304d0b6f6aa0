// API v1 over the pipeline: routes a request, checks its input and the
// client's rate limit, runs the lookup(s) and builds the response. No I/O:
// the connection hands in a parsed request and sends what comes back.
//
//   GET  /v1/lookup?number=+12155551234&service=E2U+sip   LUF + LRF + check
//   GET  /v1/route?uri=sip:alice@peer.example              LRF + check
//   POST /v1/lookup  {"numbers": [...], "service": "..."}   batch
//
// The contract is resolver/server/openapi.yaml.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "resolver/pipeline/result.hpp"
#include "resolver/server/http_text.hpp"
#include "resolver/server/result_writer.hpp"
#include "resolver/service/client_directory.hpp"
#include "resolver/service/errors.hpp"
#include "resolver/service/metrics.hpp"
#include "resolver/service/rate_limiter.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::server {

// Targets in a compact answer unless max_targets says otherwise (0: all): a
// first choice and one fallback, which keeps the answer small to parse.
inline constexpr std::uint32_t kCompactDefaultTargets = 2;
// A client's 429s are logged at most this often (per shard).
inline constexpr std::chrono::seconds kRateLimitLogInterval{1};
// Retry-After of a 503 store-unavailable: the store threads retry the store
// on their own; a client asks again (here or on another node) a second later.
inline constexpr long kStoreRetryAfterS = 1;

struct ApiRequest {
  std::string_view method;
  std::string_view target;
  std::string_view content_type;
  std::string_view body;
  // An empty buffer with capacity (the connection's, from its last
  // response): an answer is written into it and comes back as the
  // Response's body, so a keep-alive connection allocates no body buffer.
  mutable std::string scratch;
};

class Api : public std::enable_shared_from_this<Api> {
 public:
  using Done = std::function<void(Response)>;

  Api(std::shared_ptr<pipeline::LookupService> service, service::RateLimiter& limiter,
      service::Metrics& metrics)
      : service_(std::move(service)), limiter_(limiter), metrics_(metrics) {}

  // Calls `done` exactly once, possibly before returning. The request's
  // strings need only live until handle() returns. The Api (and with it its
  // LookupService) stays alive until every lookup it started has answered,
  // so a reload can replace it while requests are in flight. Must be owned
  // by a shared_ptr.
  void handle(const ApiRequest& req, const service::ClientRecord& client,
              const service::LimitsSection& limits, Done done);

  const std::shared_ptr<pipeline::LookupService>& service() const { return service_; }

 private:
  void lookup(const QueryParams& q, const service::ClientRecord& client,
              const luf::ClientOptions& opts, std::string buffer, Done done);
  void route(const QueryParams& q, const service::ClientRecord& client,
             const luf::ClientOptions& opts, std::string buffer, Done done);
  void batch(const ApiRequest& req, const service::ClientRecord& client,
             const service::LimitsSection& limits, Done done);
  bool admit(service::Endpoint ep, const service::ClientRecord& client,
             const service::LimitsSection& limits, std::int64_t tokens, Done& done);
  void count_result(service::Endpoint ep, const pipeline::LookupResult& r);
  void count_pipeline();  // the pipeline's counters (counters.hpp) as metric rows
  Done finish(service::Endpoint ep, Done done);
  Response error(service::Endpoint ep, service::ErrorCode code, std::string_view message);
  Response store_unavailable(service::Endpoint ep, const pipeline::LookupResult& r);
  Response rendered_response(const pipeline::ResultPtr& r, const AnswerShape& shape,
                             std::string buffer);

  // The JSON of recently answered results, by object: a cached result is one
  // immutable object, answered many times (its ttl changes make a new
  // object, see ResultCache::get), so its JSON is written once. Direct-mapped
  // and bounded: kRenderedSlots bodies of at most kMaxRenderedBytes each.
  struct Rendered {
    pipeline::ResultPtr result;
    std::uint64_t shape = 0;  // shape_key() of the body
    std::string body;
  };
  static constexpr std::size_t kRenderedSlots = 512;
  static constexpr std::size_t kMaxRenderedBytes = 16 * 1024;
  std::array<Rendered, kRenderedSlots> rendered_;

  std::shared_ptr<pipeline::LookupService> service_;
  service::RateLimiter& limiter_;
  service::Metrics& metrics_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> rate_logged_;
};

// Single-result answer: 200 with the result in `shape`, or 400 bad-input /
// bad-number.
Response result_response(const pipeline::LookupResult& r, std::string buffer = {},
                         const AnswerShape& shape = {});

// The answer shape of a client's options (its defaults with the request's on top).
AnswerShape shape_of(const luf::ClientOptions& o);

// The E.164 number a client's `number` stands for: as given when it starts
// with '+', else through the client's dial plan. An error is the bad-number
// message (the form the number needs).
Expected<std::string> e164_of(std::string_view number, const luf::ClientOptions& o);

// Input checks (also used by tests): an error message, or nothing.
std::optional<std::string> check_number(std::string_view number);
std::optional<std::string> check_service(std::string_view service);
std::optional<std::string> check_uri(std::string_view uri);

}  // namespace speerd::server
