#include "resolver/server/api.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/pipeline/counters.hpp"
#include "resolver/server/result_writer.hpp"
#include "resolver/service/errors.hpp"
#include "resolver/service/limits.hpp"
#include "resolver/service/log.hpp"

namespace speerd::server {
using service::CacheLabel;
using service::ClientRecord;
using service::Endpoint;
using service::ErrorCode;
using service::FailureCacheLabel;
using service::info;
using service::kMaxJsonDepth;
using service::kMaxNumberBytes;
using service::kMaxServiceBytes;
using service::kMaxUriBytes;
using service::L;
using service::LimitsSection;
using service::Metric;
using service::RateLimit;
using service::RateLimiter;
using service::StateLabel;
using service::Status;
using service::VerdictLabel;
namespace log = service::log;
namespace {

using nlohmann::json;
using pipeline::LookupResult;
using SteadyClock = std::chrono::steady_clock;

Status status_class(int status) {
  if (status == 429) return Status::rate_limited;
  if (status >= 500) return Status::server_error;
  if (status >= 400) return Status::client_error;
  return Status::ok;
}

StateLabel state_label(dns::Security s) {
  switch (s) {
    case dns::Security::secure:
      return StateLabel::secure;
    case dns::Security::insecure:
      return StateLabel::insecure;
    case dns::Security::bogus:
      return StateLabel::bogus;
    case dns::Security::not_applicable:
      return StateLabel::not_applicable;
    case dns::Security::indeterminate:
      break;
  }
  return StateLabel::indeterminate;
}

bool is_bad_input(const LookupResult& r) {
  return r.code == model::reason::kBadInput || r.code == model::reason::kBadNumber;
}

ErrorCode bad_input_code(const LookupResult& r) {
  return r.code == model::reason::kBadNumber ? ErrorCode::bad_number : ErrorCode::bad_input;
}

bool is_store_unavailable(const LookupResult& r) {
  return r.code == model::reason::kStoreUnavailable;
}

// The per-request answer options (the dial plan is the client's only).
bool is_request_option(std::string_view key) {
  return key == "view" || key == "transport" || key == "max_targets";
}

std::uint64_t shape_key(const AnswerShape& s) {
  return static_cast<std::uint64_t>(s.view) | (std::uint64_t{s.transports} << 8) |
         (std::uint64_t{s.max_targets} << 16);
}

// What a number without '+' needs when the client has no dial plan.
constexpr const char* kNeedsPlus =
    "number has no leading '+': give it in E.164 form, '+' then the country code and the "
    "number (e.g. +12155551234), or give this client a dial plan (country_code, trunk_prefix, "
    "intl_prefix) for national numbers";

// Nesting depth of a JSON text, counted without parsing (strings skipped),
// so that a deeply nested body is refused before the parser sees it.
int json_depth(std::string_view s) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

bool only_chars(std::string_view s, std::string_view extra, bool alnum) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return digit || (alnum && alpha) || extra.find(c) != std::string_view::npos;
  });
}

}  // namespace

std::optional<std::string> check_number(std::string_view number) {
  if (number.empty()) return "number is empty";
  if (number.size() > kMaxNumberBytes) return "number is longer than 64 characters";
  if (!only_chars(number, "+-. ()", false)) {
    return "number may contain only digits, '+', '-', '.', ' ', '(' and ')'";
  }
  return std::nullopt;
}

std::optional<std::string> check_service(std::string_view service) {
  if (service.size() > kMaxServiceBytes) return "service is longer than 64 characters";
  if (!only_chars(service, "+:.-_", true)) return "service has characters outside [A-Za-z0-9+:._-]";
  return std::nullopt;
}

AnswerShape shape_of(const luf::ClientOptions& o) {
  AnswerShape s;
  s.view = o.view.value_or(luf::View::full);
  s.transports = o.transports.value_or(0);
  s.max_targets = o.max_targets.value_or(s.view == luf::View::compact ? kCompactDefaultTargets : 0);
  return s;
}

Expected<std::string> e164_of(std::string_view number, const luf::ClientOptions& o) {
  if (!number.empty() && number[0] == '+') return std::string(number);
  if (!o.dial_plan) return fail(kNeedsPlus);
  auto e = luf::apply_dial_plan(number, *o.dial_plan);
  if (!e) return fail(e.error() + ": " + kNeedsPlus);
  return e;
}

std::optional<std::string> check_uri(std::string_view uri) {
  if (uri.empty()) return "uri is empty";
  if (uri.size() > kMaxUriBytes) return "uri is longer than 512 characters";
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7f) return "uri has spaces, control or non-ASCII characters";
  }
  return std::nullopt;
}

Response result_response(const LookupResult& r, std::string buffer, const AnswerShape& shape) {
  if (is_bad_input(r)) {
    Response resp;
    resp.status = info(bad_input_code(r)).status;
    resp.body = error_body(bad_input_code(r), r.reason);
    return resp;
  }
  Response resp;
  resp.body = std::move(buffer);
  resp.body.clear();
  write_answer(r, shape, resp.body);
  return resp;
}

Response Api::rendered_response(const pipeline::ResultPtr& r, const AnswerShape& shape,
                                std::string buffer) {
  if (is_bad_input(*r) || !shape.dialed.empty()) {
    return result_response(*r, std::move(buffer), shape);
  }
  const auto key = shape_key(shape);
  const auto h = reinterpret_cast<std::uintptr_t>(r.get()) / alignof(LookupResult) + key;
  Rendered& slot = rendered_[h % kRenderedSlots];
  if (slot.result != r || slot.shape != key) {
    slot.result.reset();
    slot.body.clear();
    slot.shape = key;
    write_answer(*r, shape, slot.body);
    if (slot.body.size() > kMaxRenderedBytes) {
      Response resp;
      resp.body = std::move(slot.body);
      slot.body = std::string();
      return resp;
    }
    slot.result = r;
  }
  Response resp;
  resp.body = std::move(buffer);
  resp.body.assign(slot.body);
  return resp;
}

// Issue 12: the store policy cannot answer without the SED store, which
// failed (strict, store-authoritative; nothing cached). 503: ask again
// (another node, or this one in a second). In a batch the number's own
// answer says it (verdict reject, code store-unavailable).
Response Api::store_unavailable(Endpoint ep, const LookupResult& r) {
  Response resp = error(ep, ErrorCode::store_unavailable, r.reason);
  resp.retry_after_s = kStoreRetryAfterS;
  return resp;
}

Response Api::error(Endpoint, ErrorCode code, std::string_view message) {
  metrics_.inc(Metric::errors, L(code));
  Response r;
  r.status = info(code).status;
  r.body = error_body(code, message);
  return r;
}

Api::Done Api::finish(Endpoint ep, Done done) {
  return [self = shared_from_this(), ep, start = SteadyClock::now(),
          done = std::move(done)](Response r) {
    self->metrics_.inc2(Metric::requests, L(ep), L(status_class(r.status)));
    self->metrics_.observe(Metric::request_seconds, L(ep), SteadyClock::now() - start);
    done(std::move(r));
  };
}

void Api::count_pipeline() {
  pipeline::PipelineCounters c;
  if (!service_->counters(c)) return;
  const auto put = [this](Metric m, std::size_t label, std::uint64_t v) {
    metrics_.set(m, label, static_cast<std::int64_t>(v));
  };
  put(Metric::failure_cache_entries, 0, c.failures.entries);
  put(Metric::failure_cache, L(FailureCacheLabel::hit), c.failures.hits);
  put(Metric::failure_cache, L(FailureCacheLabel::insert), c.failures.inserts);
  put(Metric::failure_cache, L(FailureCacheLabel::expiry), c.failures.expiries);
  put(Metric::failure_cache, L(FailureCacheLabel::drop), c.failures.dropped);
  using P = service::PipelineLabel;
  put(Metric::pipeline, L(P::lookup), c.pipeline.lookups);
  put(Metric::pipeline, L(P::resolution), c.pipeline.resolutions);
  put(Metric::pipeline, L(P::joined), c.pipeline.joined);
  put(Metric::pipeline, L(P::stale_served), c.pipeline.stale_served);
  put(Metric::pipeline, L(P::routed), c.pipeline.routed);
  put(Metric::pipeline, L(P::rejected), c.pipeline.rejected);
  put(Metric::pipeline, L(P::store_error), c.pipeline.store_errors);
  put(Metric::pipeline, L(P::degraded), c.pipeline.degraded);
  put(Metric::pipeline, L(P::invalidated), c.pipeline.invalidated);
  using R = service::ResultCacheLabel;
  put(Metric::result_cache_entries, 0, c.cache_entries);
  put(Metric::result_cache, L(R::hit), c.cache.hits);
  put(Metric::result_cache, L(R::miss), c.cache.misses);
  put(Metric::result_cache, L(R::stale_hit), c.cache.stale_hits);
  put(Metric::result_cache, L(R::insert), c.cache.inserts);
  put(Metric::result_cache, L(R::eviction), c.cache.evictions);
  put(Metric::result_cache, L(R::refused), c.cache.refused);
  put(Metric::result_cache, L(R::invalidated), c.cache.invalidated);
  put(Metric::regexp_cache_entries, 0, c.regexps.entries);
  put(Metric::regexp_cache, L(service::RegexpCacheLabel::hit), c.regexps.hits);
  put(Metric::regexp_cache, L(service::RegexpCacheLabel::miss), c.regexps.misses);
}

void Api::count_result(Endpoint ep, const LookupResult& r) {
  count_pipeline();
  if (is_bad_input(r)) {
    metrics_.inc2(Metric::lookups, L(ep), L(VerdictLabel::error));
    metrics_.inc(Metric::errors, L(ErrorCode::bad_input));
    return;
  }
  const auto verdict =
      r.verdict == model::Verdict::route ? VerdictLabel::route : VerdictLabel::reject;
  metrics_.inc2(Metric::lookups, L(ep), L(verdict));
  metrics_.inc(Metric::dnssec, L(state_label(r.outcome.state)));
  metrics_.inc(Metric::cache, r.stale    ? L(CacheLabel::stale)
                              : r.cached ? L(CacheLabel::hit)
                                         : L(CacheLabel::miss));
}

bool Api::admit(Endpoint ep, const ClientRecord& client, const LimitsSection& limits,
                std::int64_t tokens, Done& done) {
  const RateLimit rate = client.rate.value_or(RateLimit{limits.rate_per_second, limits.rate_burst});
  const auto d = limiter_.acquire(client.id, rate, tokens, RateLimiter::Clock::now());
  if (d.allowed) return true;
  metrics_.inc(Metric::rate_limited, L(ep));
  // Logged, but at most once per client per kRateLimitLogInterval and
  // shard: a flood must not become a flood of log lines.
  const auto now = SteadyClock::now();
  auto& last = rate_logged_[client.id];
  if (now - last >= kRateLimitLogInterval) {
    last = now;
    log::event(spdlog::level::warn, "rate-limited",
               {{"client", client.id},
                {"per_second", rate.per_second},
                {"burst", rate.burst},
                {"retry_after_s", d.retry_after.count()}});
  }
  const std::string limit_text =
      std::to_string(rate.per_second) + " lookups/s, burst " + std::to_string(rate.burst);
  Response r = error(ep, ErrorCode::rate_limited,
                     d.over_burst ? "a batch of " + std::to_string(tokens) +
                                        " numbers is more than this client's burst (rate limit " +
                                        limit_text + "): split it"
                                  : "rate limit of " + limit_text + " exceeded");
  r.retry_after_s = d.retry_after.count();
  done(std::move(r));
  return false;
}

void Api::handle(const ApiRequest& req, const ClientRecord& client, const LimitsSection& limits,
                 Done done) {
  const auto target = split_target(req.target);
  Endpoint ep = Endpoint::other;
  if (target.path == "/v1/lookup") {
    ep = req.method == "POST" ? Endpoint::batch : Endpoint::lookup;
  } else if (target.path == "/v1/route") {
    ep = Endpoint::route;
  }
  done = finish(ep, std::move(done));
  if (ep == Endpoint::other) {
    return done(error(ep, ErrorCode::no_such_endpoint, "no such endpoint"));
  }
  const bool get = req.method == "GET";
  if (!(get || (ep == Endpoint::batch))) {
    Response r = error(ep, ErrorCode::method_not_allowed, "method not allowed");
    r.allow = ep == Endpoint::route ? "GET" : "GET, POST";
    return done(std::move(r));
  }
  if (ep == Endpoint::batch) return batch(req, client, limits, std::move(done));
  auto q = parse_query(target.query);
  if (!q) return done(error(ep, ErrorCode::bad_request, q.error()));
  luf::ClientOptions asked;
  for (const auto& [name, value] : *q) {
    if (is_request_option(name)) {
      if (auto ok = luf::set_option(asked, name, value); !ok) {
        return done(error(ep, ErrorCode::bad_request, ok.error()));
      }
      continue;
    }
    const bool known =
        ep == Endpoint::lookup ? (name == "number" || name == "service") : name == "uri";
    if (!known) return done(error(ep, ErrorCode::bad_request, "unknown parameter " + name));
  }
  const auto opts = client.defaults.over(asked);
  if (!admit(ep, client, limits, 1, done)) return;
  if (ep == Endpoint::lookup) {
    return lookup(*q, client, opts, std::move(req.scratch), std::move(done));
  }
  route(*q, client, opts, std::move(req.scratch), std::move(done));
}

void Api::lookup(const QueryParams& q, const ClientRecord& client, const luf::ClientOptions& opts,
                 std::string buffer, Done done) {
  pipeline::LookupRequest lr;
  auto number = param(q, "number");
  if (!number) return done(error(Endpoint::lookup, ErrorCode::bad_request, "number is required"));
  if (auto e = check_number(*number)) {
    return done(error(Endpoint::lookup, ErrorCode::bad_number, *e));
  }
  auto e164 = e164_of(*number, opts);
  if (!e164) return done(error(Endpoint::lookup, ErrorCode::bad_number, e164.error()));
  std::string dialed;
  if (*e164 != *number) dialed = std::move(*number);
  lr.number = std::move(*e164);
  lr.service = param(q, "service").value_or("");
  if (auto e = check_service(lr.service)) {
    return done(error(Endpoint::lookup, ErrorCode::bad_input, *e));
  }
  lr.scope = client.scope;
  service_->lookup(
      lr, [self = shared_from_this(), buffer = std::move(buffer), shape = shape_of(opts),
           dialed = std::move(dialed), done = std::move(done)](pipeline::ResultPtr r) mutable {
        self->count_result(Endpoint::lookup, *r);
        if (is_store_unavailable(*r)) return done(self->store_unavailable(Endpoint::lookup, *r));
        shape.dialed = dialed;
        done(self->rendered_response(r, shape, std::move(buffer)));
      });
}

void Api::route(const QueryParams& q, const ClientRecord& client, const luf::ClientOptions& opts,
                std::string buffer, Done done) {
  pipeline::RouteRequest rr;
  auto uri = param(q, "uri");
  if (!uri) return done(error(Endpoint::route, ErrorCode::bad_request, "uri is required"));
  if (auto e = check_uri(*uri)) return done(error(Endpoint::route, ErrorCode::bad_input, *e));
  rr.uri = std::move(*uri);
  rr.scope = client.scope;
  service_->route(rr,
                  [self = shared_from_this(), buffer = std::move(buffer), shape = shape_of(opts),
                   done = std::move(done)](pipeline::ResultPtr r) mutable {
                    self->count_result(Endpoint::route, *r);
                    if (is_store_unavailable(*r)) {
                      return done(self->store_unavailable(Endpoint::route, *r));
                    }
                    done(self->rendered_response(r, shape, std::move(buffer)));
                  });
}

namespace {

// Collects a batch's results in request order; answers when the last arrives.
struct BatchState {
  std::vector<pipeline::ResultPtr> results;
  std::vector<std::string> dialed;  // per number: as sent, when a dial plan rewrote it
  AnswerShape shape;
  std::size_t pending = 0;
  Api::Done done;
};

}  // namespace

void Api::batch(const ApiRequest& req, const ClientRecord& client, const LimitsSection& limits,
                Done done) {
  const auto ep = Endpoint::batch;
  if (split_target(req.target).query.size() > 0) {
    return done(error(ep, ErrorCode::bad_request, "POST /v1/lookup takes no query parameters"));
  }
  const auto ct = req.content_type.substr(0, req.content_type.find(';'));
  if (ct != "application/json") {
    return done(error(ep, ErrorCode::unsupported_media_type, "body must be application/json"));
  }
  if (json_depth(req.body) > kMaxJsonDepth) {
    return done(error(ep, ErrorCode::bad_request, "JSON nested too deeply"));
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return done(error(ep, ErrorCode::bad_request, "body is not valid JSON"));
  if (!body.is_object()) return done(error(ep, ErrorCode::bad_request, "body must be an object"));
  luf::ClientOptions asked;
  for (const auto& [k, v] : body.items()) {
    if (is_request_option(k)) {
      // The same values as the query parameters; max_targets may be a number.
      std::string text;
      if (v.is_string()) {
        text = v.get<std::string>();
      } else if (k == "max_targets" && v.is_number_unsigned()) {
        text = std::to_string(v.get<std::uint64_t>());
      } else {
        return done(error(ep, ErrorCode::bad_request, k + " must be a string"));
      }
      if (auto ok = luf::set_option(asked, k, text); !ok) {
        return done(error(ep, ErrorCode::bad_request, ok.error()));
      }
      continue;
    }
    if (k != "numbers" && k != "service") {
      return done(error(ep, ErrorCode::bad_request, "unknown member " + k));
    }
  }
  const auto opts = client.defaults.over(asked);
  auto it = body.find("numbers");
  if (it == body.end() || !it->is_array()) {
    return done(error(ep, ErrorCode::bad_request, "numbers must be an array of strings"));
  }
  if (it->empty()) return done(error(ep, ErrorCode::bad_request, "numbers is empty"));
  if (static_cast<std::int64_t>(it->size()) > limits.max_batch) {
    return done(error(ep, ErrorCode::batch_too_large,
                      "at most " + std::to_string(limits.max_batch) + " numbers per batch"));
  }
  std::string service;
  if (auto s = body.find("service"); s != body.end()) {
    if (!s->is_string()) return done(error(ep, ErrorCode::bad_request, "service must be a string"));
    service = s->get<std::string>();
    if (auto e = check_service(service)) return done(error(ep, ErrorCode::bad_input, *e));
  }
  std::vector<std::string> numbers;
  for (const auto& n : *it) {
    if (!n.is_string()) {
      return done(error(ep, ErrorCode::bad_request, "numbers must be an array of strings"));
    }
    numbers.push_back(n.get<std::string>());
  }
  if (!admit(ep, client, limits, static_cast<std::int64_t>(numbers.size()), done)) return;

  auto state = std::make_shared<BatchState>();
  state->results.resize(numbers.size());
  state->dialed.resize(numbers.size());
  state->shape = shape_of(opts);
  state->pending = numbers.size();
  state->done = std::move(done);
  auto complete = [self = shared_from_this(), state](std::size_t i, pipeline::ResultPtr r) {
    self->count_result(Endpoint::batch, *r);
    state->results[i] = std::move(r);
    if (--state->pending > 0) return;
    Response resp;
    resp.body = "{\"results\":[";
    for (std::size_t k = 0; k < state->results.size(); ++k) {
      if (k) resp.body.push_back(',');
      AnswerShape shape = state->shape;
      shape.dialed = state->dialed[k];
      write_answer(*state->results[k], shape, resp.body);
    }
    resp.body += "]}";
    auto d = std::move(state->done);
    d(std::move(resp));
  };
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    auto e = check_number(numbers[i]);
    auto e164 = e ? Expected<std::string>(fail(*e)) : e164_of(numbers[i], opts);
    if (!e164) {
      auto bad = std::make_shared<LookupResult>();
      bad->code = model::reason::kBadNumber;
      bad->reason = e164.error();
      bad->number = numbers[i];
      complete(i, std::move(bad));
      continue;
    }
    if (*e164 != numbers[i]) state->dialed[i] = numbers[i];
    pipeline::LookupRequest lr;
    lr.number = std::move(*e164);
    lr.service = service;
    lr.scope = client.scope;
    service_->lookup(lr, [complete, i](pipeline::ResultPtr r) { complete(i, std::move(r)); });
  }
}

}  // namespace speerd::server
