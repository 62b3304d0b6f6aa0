// One DNS message in, one answer out, for both transports: the steps after
// check_query() (query.hpp) and before encoding (answer.hpp):
//
//   a TSIG (tsig.hpp): its key -> client (errors: NOTAUTH + TSIG error);
//     a source prefix of another client: REFUSED, EDE 18; the answer signed
//   else source prefix -> client (unknown: REFUSED, no data; a client that
//     requires TSIG: REFUSED, EDE 18)
//   class IN, name under a configured tree (else REFUSED, EDE 20)
//   tree in the client's scope (else REFUSED, EDE 18)
//   ANY -> RFC 8482 HINFO; a type other than NAPTR -> NODATA + SOA
//   the client's rate limit, exactly as the API's (else REFUSED, EDE 0)
//   the number's lookup through the shard's pipeline, for this client,
//   restricted to the query's tree -> reply_for()
//
// Runs on the shard's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "resolver/dnsfront/access.hpp"
#include "resolver/dnsfront/answer.hpp"
#include "resolver/dnsfront/memo.hpp"
#include "resolver/dnsfront/rrl.hpp"
#include "resolver/dnsfront/tsig.hpp"
#include "resolver/pipeline/result.hpp"
#include "resolver/service/metrics.hpp"
#include "resolver/service/rate_limiter.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::dnsfront {

// How a query came (the metric label and log field).
using Transport = service::DnsTransport;
std::string_view to_string(Transport t);

struct Tree {
  std::string name;    // as in client scopes
  std::string suffix;  // "e164.example.", lower case
};

struct HandlerConfig {
  std::vector<Tree> trees;
  AnswerSettings answer;
  std::size_t max_udp_size = 1232;  // cap on the client's EDNS buffer size
  service::RateLimit default_rate;  // [limits] rate_per_second / rate_burst
  // UDP response-rate limiting, one limiter shared by every shard's handler;
  // null when rrl_responses_per_second is 0.
  std::shared_ptr<ResponseRateLimiter> rrl;
};

// The number a name under `suffix` stands for ("+12155551234"), or nothing
// when its labels are not single digits.
std::optional<std::string> number_of(std::string_view qname, std::string_view suffix);

// The tree a query name is under (the longest suffix), or null: not an
// ENUM tree served here. `qname` lower case, absolute.
const Tree* tree_for(const std::vector<Tree>& trees, std::string_view qname);

// Whether `scope` lets its client use `tree` (by name or suffix, as the LUF
// decides it; a client's empty tree list is no access).
bool in_scope(const pipeline::ClientScope& scope, const Tree& tree);

class Handler {
 public:
  using Reply = std::function<void(std::vector<std::uint8_t>)>;

  Handler(HandlerConfig config, std::unique_ptr<SourceDirectory> sources,
          service::RateLimiter& limiter, service::Metrics& metrics)
      : config_(std::move(config)),
        answer_(std::make_shared<const AnswerSettings>(config_.answer)),
        sources_(std::move(sources)),
        limiter_(limiter),
        metrics_(metrics) {}

  void set_service(std::shared_ptr<pipeline::LookupService> s) { service_ = std::move(s); }
  const HandlerConfig& config() const { return config_; }

  // Answers `wire` from `source`; `reply` is called exactly once, perhaps
  // before this returns, with the answer (empty: send nothing).
  void handle(std::span<const std::uint8_t> wire, const boost::asio::ip::address& source,
              Transport transport, Reply reply);
  // The same for a query of `client`, already known (DNS over TLS: the
  // client its certificate maps to, looked up again for every query): no
  // source prefix, the rest alike.
  void handle_client(std::span<const std::uint8_t> wire, const boost::asio::ip::address& source,
                     Transport transport, const service::ClientRecord& client, Reply reply);

  // Counts a refusal and logs it (throttled); also for a DoT connection
  // closed unanswered.
  void refuse(const boost::asio::ip::address& source, service::DnsRefused reason,
              std::string_view why);

 private:
  // The refusal log line alone (throttled), for answers counted elsewhere.
  void log_refusal(const boost::asio::ip::address& source, std::string_view why);
  // The query, or nothing when check_query() rejected it (answered here).
  std::optional<Query> checked(std::span<const std::uint8_t> wire, Transport transport,
                               const Reply& reply);
  // A signed query's key, verified: its client and `reply` wrapped to sign
  // the answer. Nothing when it failed (answered NOTAUTH here).
  struct Signed {
    std::shared_ptr<const service::ClientRecord> client;
    Reply reply;
  };
  std::optional<Signed> verified(const Query& q, std::span<const std::uint8_t> wire,
                                 const SourceTable& table, const boost::asio::ip::address& source,
                                 Transport transport, const Reply& reply);
  // `reserve`: bytes the answer's TSIG will take (0: unsigned).
  void serve(const Query& q, const boost::asio::ip::address& source, Transport transport,
             const service::ClientRecord& client, Reply reply, std::size_t reserve = 0);
  void send(const Query& q, Transport transport, const dnsfront::Reply& r, const Reply& reply,
            std::size_t reserve = 0);
  std::size_t max_size(const Query& q, Transport transport) const;

  HandlerConfig config_;
  // config_.answer, shared with lookups in flight (not copied per query).
  std::shared_ptr<const AnswerSettings> answer_;
  std::unique_ptr<SourceDirectory> sources_;
  service::RateLimiter& limiter_;
  service::Metrics& metrics_;
  std::shared_ptr<pipeline::LookupService> service_;
  // This shard's answers as ldns built them (shared with lookups in flight).
  std::shared_ptr<AnswerMemo> memo_ = std::make_shared<AnswerMemo>();
  QueryMemo queries_;  // this shard's checked queries (memo.hpp)
  std::chrono::steady_clock::time_point refusal_logged_{};
  std::uint64_t refusals_unlogged_ = 0;
};

}  // namespace speerd::dnsfront
