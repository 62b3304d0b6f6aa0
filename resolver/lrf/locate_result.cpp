// Turning what one locate() found into its LocateResult: the weighted SRV order,
// the steps in resolution order, the targets with their outcomes, the TTL, and the
// reason of a reject.
#include <arpa/inet.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "enum/naptr.hpp"
#include "enum/printable.hpp"
#include "resolver/lrf/locate_job.hpp"

namespace speerd::lrf::detail {

namespace reason = model::reason;
using dns::Security;

namespace {

std::string no_dot(const std::string& fqdn) {
  return fqdn.size() > 1 && fqdn.back() == '.' ? fqdn.substr(0, fqdn.size() - 1) : fqdn;
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

}  // namespace

model::Step LocateJob::step_of(const Key& key, const Lookup& l) const {
  const dns::Answer& a = l.answer;
  model::Step s;
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

void LocateJob::add_host_targets(LocateResult& r, const std::string& host, std::uint16_t port,
                                 Transport transport, std::uint16_t priority, std::uint16_t weight,
                                 const std::string& srv, const dns::Outcome& path,
                                 std::set<Key>& noted) {
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
      model::Target t;
      t.host = no_dot(host);
      t.address = *addr;
      t.port = port;
      t.transport = std::string(to_string(transport));
      t.priority = priority;
      t.weight = weight;
      t.outcome = dns::weakest(path, a.outcome);
      t.srv = srv;
      r.targets.push_back(std::move(t));
    }
  }
}

void LocateJob::add_targets(LocateResult& r, const Branch& b, const std::vector<SrvRecord>& ordered,
                            const dns::Outcome& path, std::set<Key>& noted) {
  for (const auto& rec : ordered) {
    add_host_targets(r, rec.target, rec.port, b.transport, rec.priority, rec.weight, b.srv_name,
                     path, noted);
  }
}

void LocateJob::no_target_reason(LocateResult& r) const {
  // Every lookup was answered and trusted (or insecure), yet no address came out.
  // (A lookup not made because of the query limit has no step: it shows here.)
  bool records = false;
  bool unavailable = false;
  bool failed = false;
  for (const auto& b : branches_) {
    if (b.probe || b.kind != Branch::Kind::srv) continue;
    records = records || b.state == Branch::State::records;
    unavailable = unavailable || b.state == Branch::State::unavailable;
    failed = failed || b.state == Branch::State::failed;
  }
  const bool srv_based = std::none_of(branches_.begin(), branches_.end(), [](const Branch& b) {
    return b.kind == Branch::Kind::address;
  });
  const bool not_made = std::any_of(lookups_.begin(), lookups_.end(), [](const auto& kv) {
    return kv.second.state == Lookup::State::not_made;
  });
  if (not_made) {
    r.code = reason::kUpstreamFailure;
    r.reason = "no usable target within the DNS query limit (" +
               std::to_string(opt_.limits.max_queries) + ") for " + uri_.fqdn();
  } else if (srv_based && !records && failed) {
    r.code = reason::kUpstreamFailure;
    r.reason = "no SRV lookup of " + uri_.fqdn() + " gave a usable answer (see notes)";
  } else if (srv_based && !records && unavailable) {
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

void LocateJob::finish() {
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
    std::vector<model::Target> direct = direct_targets_;
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
        add_host_targets(r, b.host, b.port, b.transport, 0, 0, {}, path, noted);
      }
    }
    // The same next hop reached twice (two SRV records, two transports' names):
    // the first occurrence is the one to try.
    std::vector<model::Target> unique;
    for (auto& t : r.targets) {
      const bool dup = std::any_of(unique.begin(), unique.end(), [&](const model::Target& u) {
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
    r.verdict = model::Verdict::route;
    r.code = reason::kRouted;
    r.outcome = r.targets.front().outcome;
    for (const auto& t : r.targets) r.outcome = dns::weakest(r.outcome, t.outcome);
    if (!any_step) r.ttl = kNoDnsTtl;
  } else {
    r.verdict = model::Verdict::reject;
    r.outcome =
        any_step ? all_steps : dns::Outcome{Security::indeterminate, "no DNS step", std::nullopt};
    if (!any_step) r.ttl = 0;
    if (fatal_) {
      r.code = fatal_->first;
      r.reason = fatal_->second;
    } else {
      // Nothing usable: the weakest step names the cause.
      const model::Step* worst = nullptr;
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

}  // namespace speerd::lrf::detail
