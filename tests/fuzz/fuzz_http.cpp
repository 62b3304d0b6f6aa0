// Fuzz target for the API's request path after TLS: the bytes of one HTTP/1.1
// request go through Beast's request parser with the limits a connection sets
// ([limits] max_header_bytes / max_body_bytes, their defaults), and a complete request
// goes to Api::handle as resolver/server/connection.cpp hands it over: target split,
// query string and percent-decoding, number/service/URI checks, and the lookup JSON
// body of POST /v1/lookup. The pipeline behind it answers at once with a result that
// echoes the (untrusted) number or URI, so the JSON writer sees hostile strings too.
// Checks:
//   - the Api answers exactly once, with a status of the contract;
//   - every answer body is valid JSON with an "error" object or a result;
//   - the serialized response is one well-formed status line plus headers.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "resolver/server/api.hpp"

namespace {

namespace http = boost::beast::http;
using namespace speerd;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Answers every request at once; a lookup's result carries the number it was asked.
class EchoService final : public pipeline::LookupService {
 public:
  void lookup(const pipeline::LookupRequest& req, Callback cb) override {
    auto r = std::make_shared<pipeline::LookupResult>();
    r->verdict = model::Verdict::reject;
    r->code = model::reason::kNotFound;
    r->reason = "no ENUM record for this number";
    r->number = req.number;
    cb(std::move(r));
  }
  void route(const pipeline::RouteRequest& req, Callback cb) override {
    auto r = std::make_shared<pipeline::LookupResult>();
    r->verdict = model::Verdict::route;
    r->code = model::reason::kRouted;
    r->uri = req.uri;
    cb(std::move(r));
  }
};

struct World {
  World() { spdlog::set_level(spdlog::level::off); }
  service::RateLimiter limiter;
  service::Metrics metrics;
  service::LimitsSection limits;
  service::ClientRecord client{"fuzz-client", {"fuzz-client", {}, 0}, std::nullopt, "CN=fuzz", {}};
};

bool known_status(int s) {
  switch (s) {
    case 200:
    case 400:
    case 404:
    case 405:
    case 413:
    case 415:
    case 422:
    case 429:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(world.limits.max_header_bytes));
  parser.body_limit(static_cast<std::uint64_t>(world.limits.max_body_bytes));
  boost::beast::error_code ec;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!parser.is_done() && !rest.empty()) {
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == http::error::need_more) {
      ec = {};
      if (used == 0) break;
    }
    if (ec) return 0;  // the connection answers 400 / 413 and closes
    rest.remove_prefix(used);
  }
  if (!parser.is_done()) return 0;  // incomplete: the connection waits, then times out
  const auto& req = parser.get();

  // Copies, so that the Api sees exact-size buffers (ASan catches overreads).
  const std::string method(req.method_string());
  const std::string target(req.target());
  const std::string content_type(req[http::field::content_type]);
  const std::string body(req.body());
  server::ApiRequest ar;
  ar.method = method;
  ar.target = target;
  ar.content_type = content_type;
  ar.body = body;

  auto api =
      std::make_shared<server::Api>(std::make_shared<EchoService>(), world.limiter, world.metrics);
  int answers = 0;
  server::Response response;
  api->handle(ar, world.client, world.limits, [&](server::Response r) {
    ++answers;
    response = std::move(r);
  });
  check(answers == 1);
  check(known_status(response.status));
  if (response.content_type == "application/json") {
    const auto j = nlohmann::json::parse(response.body, nullptr, false);
    check(!j.is_discarded() && j.is_object());
    if (response.status != 200) check(j.contains("error"));
  }
  const std::string wire = server::serialize(response);
  check(wire.rfind("HTTP/1.1 " + std::to_string(response.status) + " ", 0) == 0);
  const auto head_end = wire.find("\r\n\r\n");
  check(head_end != std::string::npos);
  check(wire.size() - head_end - 4 == response.body.size());
  return 0;
}
