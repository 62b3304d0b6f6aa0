#include "resolver/lrf/locate_job.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "enum/naptr.hpp"
#include "enum/printable.hpp"
#include "resolver/dns/packet.hpp"

namespace speerd::lrf::detail {

namespace reason = model::reason;
using dns::Security;

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

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
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

namespace {

// A plain domain name as ldns prints it (lower case letters, digits, '-', '_', dots).
bool plain_name(const std::string& name) {
  return name.size() > 1 && name.size() <= 254 && name.back() == '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                  c == '.';
         });
}

}  // namespace

void LocateJob::start() {
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
    model::Target t;
    t.host = uri_.host;
    t.address = uri_.host;
    t.port = uri_.port.value_or(default_port(fixed));
    t.transport = std::string(to_string(fixed));
    t.outcome = dns::Outcome::not_applicable("numeric host: an IP literal needs no DNS");
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

void LocateJob::ask(const std::string& name, std::uint16_t type) {
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
    } else if (type == dns::rrtype::NAPTR) {
      fatal(reason::kUpstreamFailure, "query limit reached before the NAPTR lookup");
    }
    return;
  }
  ++queries_;
  ++outstanding_;
  dns_.resolve(key.first, type, [self = shared_from_this(), key](dns::Answer a) {
    self->on_answer(key, std::move(a));
  });
}

void LocateJob::on_answer(const Key& key, dns::Answer a) {
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

void LocateJob::fatal(model::Reason code, std::string why) {
  if (!fatal_) fatal_.emplace(std::move(code), std::move(why));
}

void LocateJob::fatal_from(const dns::Answer& a, const std::string& what) {
  if (a.outcome.state == Security::bogus) {
    fatal(reason::kDnssecBogus, what + ": bogus: " + a.outcome.reason);
  } else if (!a.answered()) {
    fatal(reason::kUpstreamFailure,
          what + ": no answer (" + result_text(a) + "): " + a.outcome.reason);
  } else {
    fatal(reason::kIndeterminate, what + ": " + outcome_text(a.outcome));
  }
}

void LocateJob::on_naptr(const dns::Answer& a) {
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

void LocateJob::start_srv_fallback(const std::string& why) {
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

void LocateJob::on_srv(const std::string& name, const dns::Answer& a) {
  std::vector<SrvRecord> records;
  Branch::State state = Branch::State::pending;
  const std::string what = "SRV " + name;
  if (!usable(a)) {
    state = Branch::State::failed;
    const auto b = std::find_if(branches_.begin(), branches_.end(),
                                [&](const Branch& x) { return x.srv_name == name; });
    note(what + ": " + result_text(a) + ", " + outcome_text(a.outcome) +
         ": its targets are not used" + (b != branches_.end() ? " [" + b->origin + "]" : ""));
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

void LocateJob::take_additional(const dns::Answer& a, const std::string& srv_name,
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

void LocateJob::srv_phase_done() {
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

void LocateJob::request_host(const std::string& host) {
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

void LocateJob::maybe_finish() {
  if (finished_ || outstanding_ != 0) return;
  finished_ = true;
  finish();
}

}  // namespace speerd::lrf::detail
