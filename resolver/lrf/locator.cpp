#include "resolver/lrf/locator.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

#include "enum/naptr.hpp"
#include "enum/printable.hpp"
#include "resolver/dns/packet.hpp"

namespace speerd::lrf {

namespace {

namespace reason = pipeline::reason;
using dns::Security;

using Key = std::pair<std::string, std::uint16_t>;  // (owner fqdn, type)

std::string type_name(std::uint16_t type) {
  switch (type) {
    case dns::rrtype::A:
      return "A";
    case dns::rrtype::AAAA:
      return "AAAA";
    case dns::rrtype::SRV:
      return "SRV";
    case dns::rrtype::NAPTR:
      return "NAPTR";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::string key_text(const Key& k) {
  return k.first + " " + type_name(k.second);
}

std::string no_dot(const std::string& fqdn) {
  return fqdn.size() > 1 && fqdn.back() == '.' ? fqdn.substr(0, fqdn.size() - 1) : fqdn;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A plain domain name as ldns prints it (lower case letters, digits, '-', '_', dots).
bool plain_name(const std::string& name) {
  return name.size() > 1 && name.size() <= 254 && name.back() == '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                  c == '.';
         });
}

std::string result_text(const dns::Answer& a) {
  if (a.rcode == dns::rcode::kServFail) return "servfail";
  if (!a.answered()) return "rcode " + std::to_string(a.rcode);
  if (a.nxdomain()) return "nxdomain";
  if (a.nodata()) return "nodata";
  return "answer";
}

// An answer whose data (or denial) can be used: answered, and secure or insecure.
bool usable(const dns::Answer& a) {
  return a.answered() &&
         (a.outcome.state == Security::secure || a.outcome.state == Security::insecure);
}

std::string outcome_text(const dns::Outcome& o) {
  std::string s(dns::to_string(o.state));
  if (!o.reason.empty()) s += " (" + o.reason + ")";
  return s;
}

void append_capped(std::string& out, const std::string& item) {
  if (out.size() >= kMaxStepDetail) return;
  if (!out.empty()) out += "; ";
  out += item;
  if (out.size() > kMaxStepDetail) {
    out.resize(kMaxStepDetail);
    out += "...";
  }
}

std::optional<std::string> address_text(std::uint16_t type, const std::string& rdata) {
  char buf[INET6_ADDRSTRLEN];
  if (type == dns::rrtype::A && rdata.size() == 4) {
    return std::string(inet_ntop(AF_INET, rdata.data(), buf, sizeof buf));
  }
  if (type == dns::rrtype::AAAA && rdata.size() == 16) {
    return std::string(inet_ntop(AF_INET6, rdata.data(), buf, sizeof buf));
  }
  return std::nullopt;
}

// One DNS lookup of this locate(): sent, answered, taken from an additional
// section, or not made (query limit).
struct Lookup {
  enum class State : std::uint8_t { pending, done, not_made } state = State::pending;
  dns::Answer answer;
  std::string additional_from;  // set when the data came from this SRV answer's additional section
};

// One way to the targets: an SRV name for a transport (from a NAPTR record, the
// ;transport= parameter or the no-NAPTR fallback), or the host's A/AAAA at a port.
struct Branch {
  enum class Kind : std::uint8_t { srv, address } kind = Kind::srv;
  enum class State : std::uint8_t { pending, records, empty, unavailable, failed };
  Transport transport = Transport::udp;
  std::string origin;      // where it came from, for notes
  std::string srv_name;    // Kind::srv
  bool probe = false;      // sips: fallback probe of a non-TLS SRV name: never yields targets
  std::string host;        // Kind::address: the host fqdn
  std::uint16_t port = 0;  // Kind::address
  State state = State::pending;
  std::vector<SrvRecord> records;  // usable records, canonical order, truncated
};

enum class Mode : std::uint8_t { numeric, address, srv_param, srv_fallback, naptr };

class Locate : public std::enable_shared_from_this<Locate> {
 public:
  Locate(dns::Client& dns, boost::asio::any_io_executor ex, const LocatorOptions& opt,
         std::uint64_t seed, std::string input, Locator::Callback cb)
      : dns_(dns),
        ex_(std::move(ex)),
        opt_(opt),
        rng_(seed),
        input_(std::move(input)),
        cb_(std::move(cb)) {}

  void start();

 private:
  // --- flow -------------------------------------------------------------------
  void ask(const std::string& name, std::uint16_t type);
  void on_answer(const Key& key, dns::Answer a);
  void on_naptr(const dns::Answer& a);
  void start_srv_fallback(const std::string& why);
  void on_srv(const std::string& name, const dns::Answer& a);
  void srv_phase_done();
  void take_additional(const dns::Answer& a, const std::string& srv_name,
                       const std::vector<SrvRecord>& records);
  void request_host(const std::string& host);
  void fatal(std::string code, std::string why);
  void fatal_from(const dns::Answer& a, const std::string& what);
  void note(std::string n) { notes_.push_back(std::move(n)); }
  bool supported(Transport t) const {
    return std::find(opt_.transports.begin(), opt_.transports.end(), t) != opt_.transports.end();
  }
  void maybe_finish();
  void finish();
  void no_target_reason(LocateResult& r) const;

  // --- assembly ---------------------------------------------------------------
  pipeline::Step step_of(const Key& key, const Lookup& l) const;
  void add_targets(LocateResult& r, const Branch& b, const std::vector<SrvRecord>& ordered,
                   const dns::Outcome& path, std::set<Key>& noted);
  void add_host_targets(LocateResult& r, const std::string& host, std::uint16_t port,
                        Transport transport, std::uint16_t priority, std::uint16_t weight,
                        const dns::Outcome& path, std::set<Key>& noted);

  dns::Client& dns_;
  boost::asio::any_io_executor ex_;
  LocatorOptions opt_;
  Random rng_;
  std::string input_;
  Locator::Callback cb_;

  SipUri uri_;
  Mode mode_ = Mode::naptr;
  std::map<Key, Lookup> lookups_;
  std::vector<Key> asked_order_;  // every key, in the order first asked (fallback for steps)
  std::vector<Branch> branches_;
  std::vector<std::string> hosts_;  // target hosts admitted (max_target_hosts)
  std::vector<std::string> notes_;
  std::size_t queries_ = 0;
  std::size_t outstanding_ = 0;
  std::size_t srv_outstanding_ = 0;
  bool finished_ = false;
  std::optional<std::pair<std::string, std::string>> fatal_;  // (code, reason)
  std::vector<pipeline::Target> direct_targets_;              // numeric host
};

void Locate::start() {
  auto parsed = parse_sip_uri(input_);
  if (!parsed) {
    fatal(reason::kBadInput, "malformed URI: " + parsed.error());
    return maybe_finish();
  }
  uri_ = std::move(*parsed);
  auto param = effective_transport(uri_);
  if (!param) {
    fatal(reason::kBadInput, param.error());
    return maybe_finish();
  }
  if (uri_.maddr) {
    note("maddr=" + luf::printable(*uri_.maddr, 64) +
         " ignored: the URI host is resolved (policy and the SED store are keyed on it)");
  }
  const std::optional<Transport> transport = *param;
  if (transport && !supported(*transport)) {
    fatal(reason::kNoUsableRecord,
          "transport " + std::string(to_string(*transport)) + " is not enabled for next hops");
    return maybe_finish();
  }
  const Transport fixed = transport.value_or(default_transport(uri_.scheme));

  if (uri_.numeric_host()) {
    // RFC 3263 4.1/4.2: a numeric host is used as is, no DNS.
    mode_ = Mode::numeric;
    if (!supported(fixed)) {
      fatal(reason::kNoUsableRecord,
            "transport " + std::string(to_string(fixed)) + " is not enabled for next hops");
      return maybe_finish();
    }
    pipeline::Target t;
    t.host = uri_.host;
    t.address = uri_.host;
    t.port = uri_.port.value_or(default_port(fixed));
    t.transport = std::string(to_string(fixed));
    t.outcome = dns::Outcome{Security::secure, "numeric host: no DNS step", std::nullopt};
    direct_targets_.push_back(std::move(t));
    return maybe_finish();
  }
  if (uri_.port) {
    // RFC 3263 4.2: a port in the URI means A/AAAA only.
    mode_ = Mode::address;
    if (!supported(fixed)) {
      fatal(reason::kNoUsableRecord,
            "transport " + std::string(to_string(fixed)) + " is not enabled for next hops");
      return maybe_finish();
    }
    Branch b;
    b.kind = Branch::Kind::address;
    b.transport = fixed;
    b.origin = "explicit port";
    b.host = uri_.fqdn();
    b.port = *uri_.port;
    branches_.push_back(std::move(b));
    request_host(uri_.fqdn());
    return maybe_finish();
  }
  if (transport) {
    // RFC 3263 4.1/4.2: the transport is given: SRV for it, no NAPTR.
    mode_ = Mode::srv_param;
    if (auto prefix = srv_prefix(*transport)) {
      Branch b;
      b.transport = *transport;
      b.origin = "transport parameter";
      b.srv_name = std::string(*prefix) + "." + uri_.fqdn();
      branches_.push_back(b);
      ++srv_outstanding_;
      ask(b.srv_name, dns::rrtype::SRV);
    } else {
      // ws/wss have no SRV name (RFC 7118): the host at the default port.
      note("transport " + std::string(to_string(*transport)) +
           " has no SRV name: A/AAAA of the host at the default port");
      Branch b;
      b.kind = Branch::Kind::address;
      b.transport = *transport;
      b.origin = "transport parameter";
      b.host = uri_.fqdn();
      b.port = default_port(*transport);
      branches_.push_back(std::move(b));
      request_host(uri_.fqdn());
    }
    return maybe_finish();
  }
  mode_ = Mode::naptr;
  ask(uri_.fqdn(), dns::rrtype::NAPTR);
  maybe_finish();
}

void Locate::ask(const std::string& name, std::uint16_t type) {
  Key key{lower(name), type};
  if (lookups_.count(key) != 0) return;
  asked_order_.push_back(key);
  Lookup& l = lookups_[key];
  if (queries_ >= opt_.limits.max_queries) {
    l.state = Lookup::State::not_made;
    note("query limit (" + std::to_string(opt_.limits.max_queries) + ") reached: " + key_text(key) +
         " not queried");
    if (type == dns::rrtype::SRV) {
      // Treat like a failed SRV lookup so the SRV phase can complete.
      dns::Answer a;
      a.qname = key.first;
      a.qtype = type;
      a.outcome = dns::Outcome::indeterminate("not queried: query limit reached");
      on_srv(key.first, a);
    }
    return;
  }
  ++queries_;
  ++outstanding_;
  dns_.resolve(key.first, type, [self = shared_from_this(), key](dns::Answer a) {
    self->on_answer(key, std::move(a));
  });
}

void Locate::on_answer(const Key& key, dns::Answer a) {
  --outstanding_;
  Lookup& l = lookups_[key];
  l.state = Lookup::State::done;
  l.answer = std::move(a);
  const dns::Answer& ans = l.answer;
  if (!fatal_) {
    if (key.second == dns::rrtype::NAPTR) {
      on_naptr(ans);
    } else if (key.second == dns::rrtype::SRV) {
      on_srv(key.first, ans);
    }
  }
  maybe_finish();
}

void Locate::fatal(std::string code, std::string why) {
  if (!fatal_) fatal_.emplace(std::move(code), std::move(why));
}

void Locate::fatal_from(const dns::Answer& a, const std::string& what) {
  if (a.outcome.state == Security::bogus) {
    fatal(reason::kDnssecBogus, what + ": bogus: " + a.outcome.reason);
  } else if (!a.answered()) {
    fatal(reason::kUpstreamFailure,
          what + ": no answer (" + result_text(a) + "): " + a.outcome.reason);
  } else {
    fatal(reason::kIndeterminate, what + ": " + outcome_text(a.outcome));
  }
}

void Locate::on_naptr(const dns::Answer& a) {
  const std::string what = "NAPTR " + a.qname;
  if (!usable(a)) {
    // No fallback to SRV: without a trustworthy answer nobody knows whether NAPTR
    // records exist (a downgrade of the transport choice otherwise).
    return fatal_from(a, what);
  }
  if (a.nxdomain()) return fatal(reason::kNotFound, "the domain " + a.qname + " does not exist");
  if (a.nodata()) return start_srv_fallback("no NAPTR records at " + a.qname);

  struct Rule {
    luf::Naptr naptr;
    Transport transport;
  };
  std::vector<luf::Naptr> all;
  for (const auto& rd : a.rdata) {
    auto n = luf::parse_naptr_rdata(rd);
    if (!n) {
      note("NAPTR record skipped: " + n.error());
      continue;
    }
    all.push_back(std::move(*n));
  }
  // RFC 3403: by order, then preference; the rest only to make the order total.
  std::sort(all.begin(), all.end(), [](const luf::Naptr& x, const luf::Naptr& y) {
    return std::tie(x.order, x.preference, x.services, x.replacement, x.flags, x.regexp) <
           std::tie(y.order, y.preference, y.services, y.replacement, y.flags, y.regexp);
  });
  bool sip_seen = false;
  std::vector<Rule> rules;
  for (const auto& n : all) {
    const std::string text = "NAPTR " + luf::printable(luf::to_text(n), 200);
    if (!is_sip_naptr_service(n.services)) {
      note(text + " skipped: not a SIP service");
      continue;
    }
    sip_seen = true;
    const auto t = transport_from_naptr_service(n.services);
    if (!t) {
      note(text + " skipped: unknown SIP resolution service");
      continue;
    }
    if (uri_.scheme == Scheme::sips && !is_secure(*t)) {
      note(text + " skipped: a sips: URI admits TLS transports only (RFC 3263 4.1)");
      continue;
    }
    if (!supported(*t)) {
      note(text + " skipped: transport " + std::string(to_string(*t)) +
           " is not enabled for next hops");
      continue;
    }
    if (lower(n.flags) != "s") {
      note(text + " skipped: flags must be \"s\" (RFC 3263 4.1)");
      continue;
    }
    if (!n.regexp.empty()) {
      note(text + " skipped: the regexp field must be empty (RFC 3263 4.1)");
      continue;
    }
    const std::string repl = lower(n.replacement);
    if (!plain_name(repl)) {
      note(text + " skipped: the replacement is not a plain domain name");
      continue;
    }
    const bool dup = std::any_of(rules.begin(), rules.end(), [&](const Rule& r) {
      return r.transport == *t && lower(r.naptr.replacement) == repl;
    });
    if (dup) {
      note(text + " skipped: same transport and replacement as an earlier record");
      continue;
    }
    if (rules.size() >= opt_.limits.max_naptr_records) {
      note(text + " skipped: NAPTR record limit (" + std::to_string(opt_.limits.max_naptr_records) +
           ")");
      continue;
    }
    rules.push_back({n, *t});
  }
  if (rules.empty()) {
    if (!sip_seen)
      return start_srv_fallback("the NAPTR records at " + a.qname + " are not for SIP");
    if (uri_.scheme == Scheme::sips) {
      return fatal(reason::kNoUsableRecord, "sips: URI, but the NAPTR records of " + a.qname +
                                                " offer no usable TLS transport");
    }
    return fatal(reason::kNoUsableRecord,
                 "no usable SIP NAPTR record at " + a.qname + " (see notes)");
  }
  for (const auto& r : rules) {
    Branch b;
    b.transport = r.transport;
    b.origin = "NAPTR " + luf::printable(luf::to_text(r.naptr), 200);
    b.srv_name = lower(r.naptr.replacement);
    branches_.push_back(std::move(b));
  }
  // Ask every SRV name at once (several branches may share one name).
  std::vector<std::string> names;
  for (const auto& b : branches_) {
    if (std::find(names.begin(), names.end(), b.srv_name) == names.end()) {
      names.push_back(b.srv_name);
    }
  }
  srv_outstanding_ = names.size();
  for (const auto& n : names) ask(n, dns::rrtype::SRV);
}

void Locate::start_srv_fallback(const std::string& why) {
  mode_ = Mode::srv_fallback;
  note(why + ": SRV lookups (RFC 3263 4.1)");
  struct Want {
    Transport t;
    bool probe;
  };
  std::vector<Want> wants;
  if (uri_.scheme == Scheme::sips) {
    // Only _sips._tcp can serve a sips: URI; _sip._tcp and _sip._udp are asked too,
    // so that a domain that publishes SIP only without TLS is rejected for that
    // reason instead of being tried on port 5061 of its A record.
    wants = {{Transport::tls, false}, {Transport::tcp, true}, {Transport::udp, true}};
  } else {
    wants = {{Transport::tls, false}, {Transport::tcp, false}, {Transport::udp, false}};
  }
  for (const auto& w : wants) {
    if (!w.probe && !supported(w.t)) {
      note("SRV " + std::string(*srv_prefix(w.t)) + " not asked: transport " +
           std::string(to_string(w.t)) + " is not enabled for next hops");
      continue;
    }
    Branch b;
    b.transport = w.t;
    b.probe = w.probe;
    b.origin = w.probe ? "probe (no TLS for sips:)" : "no NAPTR";
    b.srv_name = std::string(*srv_prefix(w.t)) + "." + uri_.fqdn();
    branches_.push_back(std::move(b));
  }
  srv_outstanding_ = branches_.size();
  if (srv_outstanding_ == 0) {
    return fatal(reason::kNoUsableRecord, "no transport enabled for the SRV lookups");
  }
  // Copy the names first: ask() may complete an SRV lookup synchronously (query limit).
  std::vector<std::string> names;
  for (const auto& b : branches_) names.push_back(b.srv_name);
  for (const auto& n : names) ask(n, dns::rrtype::SRV);
}

void Locate::on_srv(const std::string& name, const dns::Answer& a) {
  std::vector<SrvRecord> records;
  Branch::State state = Branch::State::pending;
  const std::string what = "SRV " + name;
  if (!usable(a)) {
    state = Branch::State::failed;
    note(what + ": " + result_text(a) + ", " + outcome_text(a.outcome) +
         ": its targets are not used");
  } else if (!a.havedata) {
    state = Branch::State::empty;
  } else {
    bool dot = false;
    for (const auto& rd : a.rdata) {
      auto r = parse_srv_rdata(rd);
      if (!r) {
        note(what + ": record skipped: " + r.error());
        continue;
      }
      if (r->no_service()) {
        dot = true;
        continue;
      }
      records.push_back(std::move(*r));
    }
    if (records.empty()) {
      state = dot ? Branch::State::unavailable : Branch::State::empty;
      if (dot) note(what + ": target \".\": the service is decidedly not available (RFC 2782)");
    } else {
      if (dot) note(what + ": target \".\" ignored: it must be the only record (RFC 2782)");
      state = Branch::State::records;
      // Lowest priorities first; the weighted order is drawn at the end.
      std::sort(records.begin(), records.end(), [](const SrvRecord& x, const SrvRecord& y) {
        return std::tie(x.priority, x.target, x.port, x.weight) <
               std::tie(y.priority, y.target, y.port, y.weight);
      });
      records.erase(std::unique(records.begin(), records.end()), records.end());
      if (records.size() > opt_.limits.max_srv_records) {
        note(what + ": " + std::to_string(records.size() - opt_.limits.max_srv_records) +
             " record(s) past the SRV record limit (" +
             std::to_string(opt_.limits.max_srv_records) + ") skipped");
        records.resize(opt_.limits.max_srv_records);
      }
    }
  }
  bool any_target_branch = false;
  for (auto& b : branches_) {
    if (b.kind != Branch::Kind::srv || b.srv_name != name) continue;
    b.state = state;
    b.records = records;
    any_target_branch = any_target_branch || !b.probe;
  }
  if (state == Branch::State::records && any_target_branch) {
    if (opt_.use_additional_section && a.outcome.state == Security::secure) {
      take_additional(a, name, records);
    }
    for (const auto& r : records) request_host(r.target);
  }
  if (srv_outstanding_ > 0 && --srv_outstanding_ == 0) srv_phase_done();
}

void Locate::take_additional(const dns::Answer& a, const std::string& srv_name,
                             const std::vector<SrvRecord>& records) {
  // libunbound runs with val-clean-additional: in a SECURE answer every RRset left
  // in the additional section was verified with the key of the zone that signed the
  // answer; the rest was removed. Such an RRset is as good as its own query.
  std::map<Key, dns::Answer> found;
  for (const auto& rec : dns::additional_records(a.packet)) {
    if (rec.type != dns::rrtype::A && rec.type != dns::rrtype::AAAA) continue;
    const bool is_target = std::any_of(records.begin(), records.end(),
                                       [&](const SrvRecord& r) { return r.target == rec.owner; });
    if (!is_target) continue;
    Key key{rec.owner, rec.type};
    if (lookups_.count(key) != 0) continue;  // asked already
    auto& ans = found[key];
    if (ans.rdata.empty()) {
      ans.qname = rec.owner;
      ans.qtype = rec.type;
      ans.rcode = dns::rcode::kNoError;
      ans.havedata = true;
      ans.outcome = a.outcome;
      ans.ttl = rec.ttl;
    }
    ans.ttl = std::min(ans.ttl, rec.ttl);
    ans.rdata.push_back(rec.rdata);
  }
  for (auto& [key, ans] : found) {
    asked_order_.push_back(key);
    Lookup& l = lookups_[key];
    l.state = Lookup::State::done;
    l.answer = std::move(ans);
    l.additional_from = srv_name;
  }
}

void Locate::srv_phase_done() {
  if (fatal_ || (mode_ != Mode::srv_fallback && mode_ != Mode::srv_param)) return;
  bool have_records = false;
  const Branch* failed = nullptr;
  const Branch* unavailable = nullptr;
  std::vector<std::string> plain_offers;
  for (const auto& b : branches_) {
    if (b.kind != Branch::Kind::srv) continue;
    if (b.probe) {
      if (b.state == Branch::State::records) plain_offers.push_back(b.srv_name);
      continue;
    }
    if (b.state == Branch::State::records) have_records = true;
    if (b.state == Branch::State::failed && failed == nullptr) failed = &b;
    if (b.state == Branch::State::unavailable && unavailable == nullptr) unavailable = &b;
  }
  if (have_records) return;
  if (failed != nullptr) {
    // Cannot tell "no SRV" from "SRV we could not get or trust": no A/AAAA fallback.
    const auto it = lookups_.find(Key{failed->srv_name, dns::rrtype::SRV});
    if (it != lookups_.end() && it->second.state == Lookup::State::done) {
      return fatal_from(it->second.answer, "SRV " + failed->srv_name);
    }
    return fatal(reason::kUpstreamFailure,
                 "SRV " + failed->srv_name + " not queried (query limit)");
  }
  if (unavailable != nullptr) {
    return fatal(
        reason::kNoUsableRecord,
        "SRV " + unavailable->srv_name + ": target \".\": the service is decidedly not available");
  }
  if (!plain_offers.empty()) {
    std::string list;
    for (const auto& n : plain_offers) list += (list.empty() ? "" : ", ") + n;
    return fatal(reason::kNoUsableRecord, "sips: URI, but " + uri_.fqdn() +
                                              " offers SIP without TLS only (SRV " + list +
                                              ", no _sips._tcp)");
  }
  // RFC 3263 4.2: no SRV -> A/AAAA of the host at the default port of the transport.
  Transport t = default_transport(uri_.scheme);
  if (mode_ == Mode::srv_param) t = branches_.front().transport;
  if (!supported(t)) {
    return fatal(reason::kNoUsableRecord, "no SRV records, and the default transport " +
                                              std::string(to_string(t)) +
                                              " is not enabled for next hops");
  }
  note("no SRV records: A/AAAA of " + uri_.fqdn() + " at port " + std::to_string(default_port(t)) +
       " over " + std::string(to_string(t)) + " (RFC 3263 4.2)");
  Branch b;
  b.kind = Branch::Kind::address;
  b.transport = t;
  b.origin = "no SRV";
  b.host = uri_.fqdn();
  b.port = default_port(t);
  branches_.push_back(std::move(b));
  request_host(uri_.fqdn());
}

void Locate::request_host(const std::string& host) {
  if (std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end()) return;
  if (hosts_.size() >= opt_.limits.max_target_hosts) {
    note("target host limit (" + std::to_string(opt_.limits.max_target_hosts) +
         ") reached: " + host + " not resolved");
    return;
  }
  hosts_.push_back(host);
  const bool v6_first = opt_.address_order == AddressOrder::ipv6_first;
  ask(host, v6_first ? dns::rrtype::AAAA : dns::rrtype::A);
  ask(host, v6_first ? dns::rrtype::A : dns::rrtype::AAAA);
}

void Locate::maybe_finish() {
  if (finished_ || outstanding_ != 0) return;
  finished_ = true;
  finish();
}

pipeline::Step Locate::step_of(const Key& key, const Lookup& l) const {
  const dns::Answer& a = l.answer;
  pipeline::Step s;
  s.name = key.first;
  s.type = type_name(key.second);
  s.result = result_text(a);
  s.ttl = a.ttl;
  s.outcome = a.outcome;
  std::string detail;
  if (!l.additional_from.empty()) {
    append_capped(detail,
                  "from the additional section of the secure SRV answer for " + l.additional_from);
  }
  if (!a.canonname.empty() && a.canonname != key.first) {
    append_capped(detail, "alias of " + luf::printable(a.canonname, 255));
  }
  for (const auto& rd : a.rdata) {
    switch (key.second) {
      case dns::rrtype::NAPTR: {
        auto n = luf::parse_naptr_rdata(rd);
        append_capped(detail, n ? luf::printable(luf::to_text(*n), 300) : "<malformed>");
        break;
      }
      case dns::rrtype::SRV: {
        auto r = parse_srv_rdata(rd);
        append_capped(detail, r ? to_text(*r) : "<malformed>");
        break;
      }
      default:
        append_capped(detail, address_text(key.second, rd).value_or("<malformed>"));
    }
  }
  s.detail = std::move(detail);
  return s;
}

void Locate::add_host_targets(LocateResult& r, const std::string& host, std::uint16_t port,
                              Transport transport, std::uint16_t priority, std::uint16_t weight,
                              const dns::Outcome& path, std::set<Key>& noted) {
  const bool v6_first = opt_.address_order == AddressOrder::ipv6_first;
  const std::uint16_t types[2] = {v6_first ? dns::rrtype::AAAA : dns::rrtype::A,
                                  v6_first ? dns::rrtype::A : dns::rrtype::AAAA};
  for (const std::uint16_t type : types) {
    const Key key{host, type};
    const auto it = lookups_.find(key);
    if (it == lookups_.end() || it->second.state != Lookup::State::done) continue;
    const dns::Answer& a = it->second.answer;
    const bool first_time = noted.insert(key).second;
    if (!usable(a)) {
      if (first_time) {
        note("addresses of " + key_text(key) + " dropped: " + result_text(a) + ", " +
             outcome_text(a.outcome));
      }
      continue;
    }
    std::size_t taken = 0;
    for (const auto& rd : a.rdata) {
      const auto addr = address_text(type, rd);
      if (!addr) {
        if (first_time) note(key_text(key) + ": malformed address record skipped");
        continue;
      }
      if (taken == opt_.limits.max_addresses_per_family) {
        if (first_time) {
          note(key_text(key) + ": addresses past the per-family limit (" +
               std::to_string(opt_.limits.max_addresses_per_family) + ") skipped");
        }
        break;
      }
      ++taken;
      pipeline::Target t;
      t.host = no_dot(host);
      t.address = *addr;
      t.port = port;
      t.transport = std::string(to_string(transport));
      t.priority = priority;
      t.weight = weight;
      t.outcome = dns::weakest(path, a.outcome);
      r.targets.push_back(std::move(t));
    }
  }
}

void Locate::add_targets(LocateResult& r, const Branch& b, const std::vector<SrvRecord>& ordered,
                         const dns::Outcome& path, std::set<Key>& noted) {
  for (const auto& rec : ordered) {
    add_host_targets(r, rec.target, rec.port, b.transport, rec.priority, rec.weight, path, noted);
  }
}

void Locate::no_target_reason(LocateResult& r) const {
  // Every lookup was answered and trusted (or insecure), yet no address came out.
  bool records = false;
  bool unavailable = false;
  for (const auto& b : branches_) {
    if (b.probe || b.kind != Branch::Kind::srv) continue;
    records = records || b.state == Branch::State::records;
    unavailable = unavailable || b.state == Branch::State::unavailable;
  }
  const bool srv_based = std::none_of(branches_.begin(), branches_.end(), [](const Branch& b) {
    return b.kind == Branch::Kind::address;
  });
  if (srv_based && !records && unavailable) {
    r.code = reason::kNoUsableRecord;
    r.reason = "SIP service decidedly not available at " + uri_.fqdn() + " (SRV target \".\")";
  } else if (srv_based && !records) {
    r.code = reason::kNoUsableRecord;
    r.reason = "no SRV records at the names the NAPTR records of " + uri_.fqdn() + " point to";
  } else {
    r.code = reason::kNoTargets;
    r.reason = "no address records for the targets of " + uri_.fqdn();
  }
}

void Locate::finish() {
  LocateResult r;
  r.uri = input_;
  r.queries = queries_;

  // Draw the weighted SRV orders first, branch by branch, so that the random
  // sequence is used in the same way whatever order the answers came in.
  std::vector<std::vector<SrvRecord>> ordered(branches_.size());
  for (std::size_t i = 0; i < branches_.size(); ++i) {
    const Branch& b = branches_[i];
    if (b.kind == Branch::Kind::srv && !b.probe && b.state == Branch::State::records) {
      ordered[i] = order_srv(b.records, rng_);
    }
  }

  // Steps in resolution order: NAPTR, the SRV names, then the hosts in target order.
  std::vector<Key> order;
  auto push = [&](const Key& k) {
    if (lookups_.count(k) != 0 && std::find(order.begin(), order.end(), k) == order.end()) {
      order.push_back(k);
    }
  };
  push({uri_.fqdn(), dns::rrtype::NAPTR});
  for (const auto& b : branches_) {
    if (b.kind == Branch::Kind::srv) push({b.srv_name, dns::rrtype::SRV});
  }
  const bool v6_first = opt_.address_order == AddressOrder::ipv6_first;
  auto push_host = [&](const std::string& h) {
    push({h, v6_first ? dns::rrtype::AAAA : dns::rrtype::A});
    push({h, v6_first ? dns::rrtype::A : dns::rrtype::AAAA});
  };
  for (std::size_t i = 0; i < branches_.size(); ++i) {
    if (branches_[i].kind == Branch::Kind::address) push_host(branches_[i].host);
    for (const auto& rec : ordered[i]) push_host(rec.target);
  }
  for (const auto& k : asked_order_) push(k);  // anything else that was asked
  std::uint32_t ttl = kNoDnsTtl;
  bool any_step = false;
  dns::Outcome all_steps = dns::Outcome::secure();
  for (const auto& k : order) {
    const Lookup& l = lookups_.at(k);
    if (l.state != Lookup::State::done) continue;
    r.steps.push_back(step_of(k, l));
    ttl = std::min(ttl, r.steps.back().ttl);
    all_steps = dns::weakest(all_steps, r.steps.back().outcome);
    any_step = true;
  }
  r.ttl = ttl;

  if (!fatal_) {
    // The outcome every target of a branch inherits: the NAPTR answer (or its
    // denial) and the SRV answer, or, for the A/AAAA fallback, every SRV denial.
    auto outcome_of = [&](const Key& k) -> std::optional<dns::Outcome> {
      const auto it = lookups_.find(k);
      if (it == lookups_.end() || it->second.state != Lookup::State::done) return std::nullopt;
      return it->second.answer.outcome;
    };
    dns::Outcome base = dns::Outcome::secure();
    if (auto o = outcome_of({uri_.fqdn(), dns::rrtype::NAPTR})) base = *o;
    std::set<Key> noted;
    std::vector<pipeline::Target> direct = direct_targets_;
    for (auto& t : direct) r.targets.push_back(std::move(t));
    for (std::size_t i = 0; i < branches_.size(); ++i) {
      const Branch& b = branches_[i];
      if (b.probe) continue;
      if (b.kind == Branch::Kind::srv) {
        if (b.state != Branch::State::records) continue;
        dns::Outcome path = base;
        if (auto o = outcome_of({b.srv_name, dns::rrtype::SRV})) path = dns::weakest(path, *o);
        add_targets(r, b, ordered[i], path, noted);
      } else {
        dns::Outcome path = base;
        for (const auto& other : branches_) {
          if (other.kind != Branch::Kind::srv) continue;
          if (auto o = outcome_of({other.srv_name, dns::rrtype::SRV})) {
            path = dns::weakest(path, *o);
          }
        }
        add_host_targets(r, b.host, b.port, b.transport, 0, 0, path, noted);
      }
    }
    // The same next hop reached twice (two SRV records, two transports' names):
    // the first occurrence is the one to try.
    std::vector<pipeline::Target> unique;
    for (auto& t : r.targets) {
      const bool dup = std::any_of(unique.begin(), unique.end(), [&](const pipeline::Target& u) {
        return u.address == t.address && u.port == t.port && u.transport == t.transport;
      });
      if (!dup) unique.push_back(std::move(t));
    }
    if (unique.size() > opt_.limits.max_targets) {
      note(std::to_string(unique.size() - opt_.limits.max_targets) +
           " target(s) past the target limit (" + std::to_string(opt_.limits.max_targets) +
           ") dropped");
      unique.resize(opt_.limits.max_targets);
    }
    r.targets = std::move(unique);
  }
  r.notes = notes_;

  if (!r.targets.empty()) {
    r.verdict = pipeline::Verdict::route;
    r.code = reason::kRouted;
    r.outcome = r.targets.front().outcome;
    for (const auto& t : r.targets) r.outcome = dns::weakest(r.outcome, t.outcome);
    if (!any_step) r.ttl = kNoDnsTtl;
  } else {
    r.verdict = pipeline::Verdict::reject;
    r.outcome = any_step ? all_steps : dns::Outcome::indeterminate("no DNS step", dns::ede::kOther);
    if (!any_step) r.ttl = 0;
    if (fatal_) {
      r.code = fatal_->first;
      r.reason = fatal_->second;
    } else {
      // Nothing usable: the weakest step names the cause.
      const pipeline::Step* worst = nullptr;
      for (const auto& s : r.steps) {
        if (worst == nullptr ||
            static_cast<int>(s.outcome.state) < static_cast<int>(worst->outcome.state)) {
          worst = &s;
        }
      }
      if (worst != nullptr && worst->outcome.state == Security::bogus) {
        r.code = reason::kDnssecBogus;
        r.reason = "no usable target: " + worst->name + " " + worst->type +
                   " is bogus: " + worst->outcome.reason;
      } else if (worst != nullptr && worst->outcome.state == Security::indeterminate) {
        r.code = worst->result == "answer" ? reason::kIndeterminate : reason::kUpstreamFailure;
        r.reason = "no usable target: " + worst->name + " " + worst->type + ": " + worst->result +
                   ", " + outcome_text(worst->outcome);
      } else {
        no_target_reason(r);
      }
    }
  }
  boost::asio::post(ex_,
                    [cb = std::move(cb_), res = std::move(r)]() mutable { cb(std::move(res)); });
}

}  // namespace

Locator::Locator(dns::Client& dns, boost::asio::any_io_executor executor, LocatorOptions options)
    : dns_(dns),
      executor_(std::move(executor)),
      options_(std::move(options)),
      rng_(options_.seed ? *options_.seed : std::random_device{}()) {}

void Locator::locate(const std::string& uri, Callback cb) {
  const std::uint64_t seed = rng_();
  auto job = std::make_shared<Locate>(dns_, executor_, options_, seed, uri, std::move(cb));
  job->start();
}

void apply_insecure_policy(LocateResult& result, bool allow_insecure_targets) {
  if (!result.routable()) return;
  std::vector<pipeline::Target> kept;
  std::optional<dns::Outcome> dropped;
  for (auto& t : result.targets) {
    const bool ok = t.outcome.state == Security::secure ||
                    (allow_insecure_targets && t.outcome.state == Security::insecure);
    if (ok) {
      kept.push_back(std::move(t));
      continue;
    }
    result.notes.push_back("target " + t.host + " " + t.address + ":" + std::to_string(t.port) +
                           " (" + t.transport + ") removed by policy: " + outcome_text(t.outcome));
    if (!dropped) dropped = t.outcome;
  }
  result.targets = std::move(kept);
  if (!result.targets.empty()) {
    result.outcome = result.targets.front().outcome;
    for (const auto& t : result.targets) result.outcome = dns::weakest(result.outcome, t.outcome);
    return;
  }
  result.verdict = pipeline::Verdict::reject;
  const bool insecure = dropped && dropped->state == Security::insecure;
  result.code = insecure ? reason::kInsecureNotAllowed : reason::kIndeterminate;
  result.reason = insecure ? "every target is insecure and insecure targets are not allowed"
                           : "no target has a validated outcome";
}

}  // namespace speerd::lrf
