#include "resolver/dnsfront/handler.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <algorithm>

#include "enum/limits.hpp"
#include "resolver/dns/wire.hpp"
#include "resolver/service/limits.hpp"
#include "resolver/service/log.hpp"

namespace speerd::dnsfront {
namespace {

namespace log = service::log;
namespace ede = dns::ede;

// Refusal logs: at most one line per shard per interval, with the count of
// those not logged since (a flood must not become a flood of log lines).
constexpr std::chrono::seconds kRefusalLogInterval{1};

bool under(std::string_view name, std::string_view suffix) {
  if (name.size() < suffix.size()) return false;
  if (name.substr(name.size() - suffix.size()) != suffix) return false;
  return name.size() == suffix.size() || suffix == "." ||
         name[name.size() - suffix.size() - 1] == '.';
}

service::DnsRcode rcode_label(std::uint16_t rc) {
  using R = service::DnsRcode;
  switch (rc) {
    case rcode::kNoError:
      return R::noerror;
    case rcode::kFormErr:
      return R::formerr;
    case rcode::kNxDomain:
      return R::nxdomain;
    case rcode::kNotImp:
      return R::notimp;
    case rcode::kRefused:
      return R::refused;
    case rcode::kBadVers:
      return R::badvers;
    case kRcodeNotAuth:
      return R::notauth;
    default:
      return R::servfail;
  }
}

service::DnsRcode rejected_label(Refusal r) {
  switch (r) {
    case Refusal::drop:
      return service::DnsRcode::dropped;
    case Refusal::formerr:
      return service::DnsRcode::formerr;
    case Refusal::notimp:
      return service::DnsRcode::notimp;
    case Refusal::badvers:
      return service::DnsRcode::badvers;
  }
  return service::DnsRcode::dropped;
}

// Counts one answer (an encoding failure is answered and counted SERVFAIL).
void count(service::Metrics& m, Transport t, const dnsfront::Reply& r, bool encoded) {
  using service::L;
  m.inc2(service::Metric::dns_queries, L(t),
         L(encoded ? rcode_label(r.rcode) : service::DnsRcode::servfail));
  if (!encoded) {
    m.inc(service::Metric::dns_ede, ede::kOther);
  } else if (r.ede && r.ede->code < service::kDnsEdeCodes) {
    m.inc(service::Metric::dns_ede, r.ede->code);
  }
}

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// `reply` with the answer signed for the query's TSIG (tsig.hpp); an answer
// ldns cannot sign goes out unsigned (the client then rejects it).
Handler::Reply signing(Handler::Reply reply, TsigRecord request, std::string key_name,
                       std::string secret, TsigResult result) {
  return [reply = std::move(reply), request = std::move(request), key_name = std::move(key_name),
          secret = std::move(secret), result](std::vector<std::uint8_t> bytes) {
    if (bytes.empty()) return reply(std::move(bytes));
    const TsigSecret key{key_name, secret};
    auto out = sign_answer(bytes, request, secret.empty() ? nullptr : &key, result, unix_now());
    reply(out.empty() ? std::move(bytes) : std::move(out));
  };
}

// encode() through the shard's memo (memo.hpp), counted; a signed query
// around it.
std::vector<std::uint8_t> memo_encode(AnswerMemo& memo, service::Metrics& m, const Query& q,
                                      const dnsfront::Reply& r, const AnswerSettings& s,
                                      std::size_t max_size) {
  if (q.tsig) return encode(q, r, s, max_size);
  bool hit = false;
  auto bytes = memo.encode(q, r, s, max_size, &hit);
  m.inc2(service::Metric::dns_memo, service::L(service::DnsMemoKind::answer),
         service::L(hit ? service::DnsMemo::hit : service::DnsMemo::miss));
  return bytes;
}

std::vector<std::uint8_t> servfail_wire(const Query& q, const AnswerSettings& s) {
  Reply r;
  r.rcode = rcode::kServFail;
  r.ede = Ede{ede::kOther, "the answer could not be encoded"};
  return encode(q, r, s, dns::kClassicUdpSize);
}

}  // namespace

std::string_view to_string(Transport t) {
  return enum_name(t);
}

std::optional<std::string> number_of(std::string_view qname, std::string_view suffix) {
  if (!under(qname, suffix) || qname.size() == suffix.size()) return std::nullopt;
  std::string_view labels = qname.substr(0, qname.size() - suffix.size());  // "4.3.2.1."
  std::string digits;
  while (!labels.empty()) {
    if (labels.size() < 2 || labels[1] != '.' || labels[0] < '0' || labels[0] > '9') {
      return std::nullopt;
    }
    digits.insert(digits.begin(), labels[0]);
    labels.remove_prefix(2);
  }
  if (digits.size() > luf::kMaxE164Digits) return std::nullopt;
  return "+" + digits;
}

const Tree* tree_for(const std::vector<Tree>& trees, std::string_view qname) {
  const Tree* tree = nullptr;
  for (const auto& t : trees) {
    if (under(qname, t.suffix) && (tree == nullptr || t.suffix.size() > tree->suffix.size())) {
      tree = &t;
    }
  }
  return tree;
}

bool in_scope(const pipeline::ClientScope& scope, const Tree& t) {
  if (scope.no_access()) return false;
  const auto& trees = scope.trees;
  return scope.operator_scope() ||
         std::any_of(trees.begin(), trees.end(), [&](const std::string& s) {
           return s == t.name || s == t.suffix || (s + ".") == t.suffix;
         });
}

void Handler::refuse(const boost::asio::ip::address& source, service::DnsRefused reason,
                     std::string_view why) {
  metrics_.inc(service::Metric::dns_refused, service::L(reason));
  log_refusal(source, why);
}

void Handler::log_refusal(const boost::asio::ip::address& source, std::string_view why) {
  const auto now = std::chrono::steady_clock::now();
  if (now - refusal_logged_ < kRefusalLogInterval) {
    ++refusals_unlogged_;
    return;
  }
  refusal_logged_ = now;
  log::event(spdlog::level::warn, "dns-refused",
             {{"source", source.to_string()},
              {"why", std::string(why)},
              {"not_logged_since_last", refusals_unlogged_}});
  refusals_unlogged_ = 0;
}

std::optional<Query> Handler::checked(std::span<const std::uint8_t> wire, Transport transport,
                                      const Reply& reply) {
  bool hit = false;
  Checked checked = queries_.check(wire, &hit);
  metrics_.inc2(service::Metric::dns_memo, service::L(service::DnsMemoKind::query),
                service::L(hit ? service::DnsMemo::hit : service::DnsMemo::miss));
  if (auto* rej = std::get_if<Rejected>(&checked)) {
    metrics_.inc2(service::Metric::dns_queries, service::L(transport),
                  service::L(rejected_label(rej->refusal)));
    reply(encode_rejected(*rej));
    return std::nullopt;
  }
  return std::get<Query>(std::move(checked));
}

void Handler::send(const Query& q, Transport transport, const dnsfront::Reply& r,
                   const Reply& reply, std::size_t reserve) {
  const auto& s = config_.answer;
  auto bytes = memo_encode(*memo_, metrics_, q, r, s, max_size(q, transport) - reserve);
  count(metrics_, transport, r, !bytes.empty());
  reply(bytes.empty() ? servfail_wire(q, s) : std::move(bytes));
}

std::size_t Handler::max_size(const Query& q, Transport transport) const {
  if (transport != Transport::udp) return dns::kMaxMessageBytes;
  return q.edns ? std::min<std::size_t>(q.udp_size, config_.max_udp_size) : dns::kClassicUdpSize;
}

std::optional<Handler::Signed> Handler::verified(const Query& q, std::span<const std::uint8_t> wire,
                                                 const SourceTable& table,
                                                 const boost::asio::ip::address& source,
                                                 Transport transport, const Reply& reply) {
  const TsigRecord& t = *q.tsig;
  const service::TsigKey* key = table.find_key(t.key_name);
  const TsigSecret secret = key ? TsigSecret{key->name, key->secret} : TsigSecret{};
  const TsigResult result = verify_tsig(wire, t, key ? &secret : nullptr, unix_now());
  metrics_.inc(service::Metric::dns_tsig, service::L(result));
  const std::size_t reserve = tsig_size(t);
  if (result == TsigResult::ok) {
    return Signed{key->client, signing(reply, t, key->name, key->secret, result)};
  }
  log_refusal(source, "TSIG " + std::string(enum_name(result)) + " for key " + t.key_name);
  dnsfront::Reply r;
  r.rcode = kRcodeNotAuth;
  // BADTIME is signed with the key; BADKEY and BADSIG are not (no secret).
  const bool sign = result == TsigResult::badtime;
  send(q, transport, r, signing(reply, t, t.key_name, sign ? key->secret : std::string(), result),
       reserve);
  return std::nullopt;
}

void Handler::handle(std::span<const std::uint8_t> wire, const boost::asio::ip::address& source,
                     Transport transport, Reply reply) {
  const auto q = checked(wire, transport, reply);
  if (!q) return;
  // Response-rate limiting before any work: a source prefix over its rate
  // gets no lookup, and no answer or an empty truncated one (rrl.hpp).
  if (transport == Transport::udp && config_.rrl) {
    const RrlAction action = config_.rrl->decide(source, std::chrono::steady_clock::now());
    metrics_.inc(service::Metric::dns_rrl, service::L(action));
    if (action == RrlAction::drop) return reply({});
    if (action == RrlAction::slip) return reply(encode(*q, dnsfront::Reply{}, config_.answer, 0));
  }
  auto table = sources_->table();
  if (!table) {
    refuse(source, service::DnsRefused::directory_error,
           "client table unavailable: " + table.error());
    return send(*q, transport, refused(std::nullopt), reply);
  }
  const service::ClientRecord* client = (*table)->find(source);
  if (q->tsig) {
    // The key names the client, from any source; from another client's
    // prefix it is refused (fail closed: two identities that disagree).
    auto s = verified(*q, wire, **table, source, transport, reply);
    if (!s) return;
    const std::size_t reserve = tsig_size(*q->tsig);
    if (client != nullptr && client->id != s->client->id) {
      refuse(source, service::DnsRefused::tsig_mismatch,
             "TSIG key of client " + s->client->id + " from a prefix of client " + client->id);
      return send(*q, transport,
                  refused(Ede{ede::kProhibited, "the TSIG key is not this source's client's"}),
                  s->reply, reserve);
    }
    // The record stays alive with the lambda's copy of the shared pointer.
    auto record = s->client;
    return serve(*q, source, transport, *record, std::move(s->reply), reserve);
  }
  if (client == nullptr) {
    refuse(source, service::DnsRefused::unknown_source, "no client has this source prefix");
    return send(*q, transport, refused(std::nullopt), reply);
  }
  if (client->tsig_required) {
    metrics_.inc(service::Metric::dns_tsig, service::L(TsigResult::missing));
    refuse(source, service::DnsRefused::tsig_required,
           "client " + client->id + " requires TSIG, the query is unsigned");
    return send(*q, transport, refused(Ede{ede::kProhibited, "TSIG required"}), reply);
  }
  serve(*q, source, transport, *client, std::move(reply));
}

void Handler::handle_client(std::span<const std::uint8_t> wire,
                            const boost::asio::ip::address& source, Transport transport,
                            const service::ClientRecord& client, Reply reply) {
  const auto q = checked(wire, transport, reply);
  if (!q) return;
  if (!q->tsig) return serve(*q, source, transport, client, std::move(reply));
  // DoT: TSIG is optional; when present it is verified and its key must be
  // the certificate's client's.
  auto table = sources_->table();
  if (!table) {
    refuse(source, service::DnsRefused::directory_error,
           "client table unavailable: " + table.error());
    return send(*q, transport, refused(std::nullopt), reply);
  }
  auto s = verified(*q, wire, **table, source, transport, reply);
  if (!s) return;
  const std::size_t reserve = tsig_size(*q->tsig);
  if (s->client->id != client.id) {
    refuse(source, service::DnsRefused::tsig_mismatch,
           "TSIG key of client " + s->client->id + " on a connection of client " + client.id);
    return send(*q, transport,
                refused(Ede{ede::kProhibited, "the TSIG key is not this certificate's client's"}),
                s->reply, reserve);
  }
  serve(*q, source, transport, client, std::move(s->reply), reserve);
}

void Handler::serve(const Query& q, const boost::asio::ip::address& source, Transport transport,
                    const service::ClientRecord& c, Reply reply, std::size_t reserve) {
  const service::ClientRecord* client = &c;
  const auto& s = config_.answer;
  const std::size_t size_cap = max_size(q, transport) - reserve;
  auto send = [&](const dnsfront::Reply& r) { this->send(q, transport, r, reply, reserve); };
  const Tree* tree = tree_for(config_.trees, q.question.qname);
  if (q.question.qclass != LDNS_RR_CLASS_IN || tree == nullptr) {
    refuse(source, service::DnsRefused::not_a_tree, "name outside the ENUM trees");
    return send(refused(Ede{ede::kNotAuthoritative, "not an ENUM tree served here"}));
  }
  if (!in_scope(client->scope, *tree)) {
    refuse(source, service::DnsRefused::out_of_scope,
           "tree " + tree->name + " outside the scope of client " + client->id);
    return send(
        refused(Ede{ede::kProhibited, "tree " + tree->name + " is not in this client's scope"}));
  }
  dnsfront::Reply local;
  local.ra = true;
  if (q.question.qtype == LDNS_RR_TYPE_ANY) {
    local.rfc8482 = true;
    local.ttl = s.negative_ttl;
    return send(local);
  }
  const auto number = number_of(q.question.qname, tree->suffix);
  if (q.question.qtype != LDNS_RR_TYPE_NAPTR || !number) {
    // speerd's view of a tree holds NAPTRs at number names only.
    local.soa_zone = tree->suffix;
    local.ttl = s.negative_ttl;
    return send(local);
  }
  const service::RateLimit rate = client->rate.value_or(config_.default_rate);
  const auto d = limiter_.acquire(client->id, rate, 1, service::RateLimiter::Clock::now());
  if (!d.allowed) {
    refuse(source, service::DnsRefused::rate_limited,
           "client " + client->id + " over its rate limit");
    return send(refused(Ede{
        ede::kOther, "rate limit of " + std::to_string(rate.per_second) + " lookups/s exceeded"}));
  }
  if (!service_) return send(refused(Ede{ede::kOther, "not ready"}));
  pipeline::LookupRequest lr;
  lr.number = *number;
  lr.scope = client->scope;
  lr.scope.trees = {tree->name};
  service_->lookup(lr, [q, apex = tree->suffix, settings = answer_, max_size = size_cap, transport,
                        &metrics = metrics_, memo = memo_,
                        reply = std::move(reply)](const pipeline::ResultPtr& r) {
    const AnswerSettings& s = *settings;
    const auto answer = reply_for(q, apex, *r, s);
    auto bytes = memo_encode(*memo, metrics, q, answer, s, max_size);
    count(metrics, transport, answer, !bytes.empty());
    reply(bytes.empty() ? servfail_wire(q, s) : std::move(bytes));
  });
}

}  // namespace speerd::dnsfront
