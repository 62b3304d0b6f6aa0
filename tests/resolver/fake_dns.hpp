// An in-memory dns::Client for unit tests: answers registered per (name, type),
// with rdata written in presentation form, an Outcome, a TTL and an rcode.
//
//   boost::asio::io_context io;
//   speerd::testing::FakeDns dns(io);
//   dns.answer("example.com.", rrtype::NAPTR, {R"(10 10 "s" "SIP+D2T" ""
//   _sip._tcp.example.com.)"}); dns.answer("_sip._tcp.example.com.", rrtype::SRV, {"10 0 5060
//   sip.example.com."}, 600); dns.answer("sip.example.com.", rrtype::A, {"192.0.2.1"}, 300,
//   Outcome::insecure()); dns.nxdomain("nothere.example.com."); dns.servfail("broken.example.com.",
//   rrtype::A);
//   ... run the code under test ...; io.run();
//   CHECK(dns.count("sip.example.com.", rrtype::A) == 1);
//   CHECK(dns.max_in_flight() >= 2);
//
// Behaviour:
// - Names are case-insensitive; a missing trailing dot is added.
// - A (name, type) with no registration answers like DNS would: NODATA when the name
//   has any registration (another type, or a name-wide one), NXDOMAIN otherwise,
//   with the default negative outcome and TTL (secure, 300; set_negative_default()).
// - Every answer carries a real wire packet (ldns): the question, the answer RRset,
//   an SOA in the authority section for negative answers (so dns::negative_ttl works)
//   and the registered additional records (so dns::additional_records works).
// - Callbacks are never run from inside resolve(): each answer is posted to the
//   io_context. With hold() answers are kept until release_all() / release_reversed(),
//   which post them (so a test can make answers arrive in any order).
// - Every query is counted per (name, type) and logged in order; a query is "in
//   flight" from resolve() until just before its callback runs, and the largest
//   number in flight at once is kept (max_in_flight()).
// - Bad presentation text in a registration throws std::invalid_argument (test setup
//   error, not a DNS condition).
#pragma once

#include <ldns/ldns.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "resolver/dns/client.hpp"

namespace speerd::testing {

class FakeDns final : public dns::Client {
 public:
  // One registered response.
  struct Response {
    int rcode = dns::rcode::kNoError;
    std::vector<std::string> rdata;  // presentation form, one per RR: "10 0 5060 sip.example."
    dns::Outcome outcome = dns::Outcome::secure();
    std::uint32_t ttl = 300;  // RRset TTL, or the negative TTL (SOA minimum)
    // Full RRs in presentation form for the additional section:
    // "sip.example.com. 300 IN A 192.0.2.1".
    std::vector<std::string> additional;
    std::string canonname;  // set when the answer followed a CNAME
  };

  using QueryKey = std::pair<std::string, std::uint16_t>;

  explicit FakeDns(boost::asio::io_context& io) : io_(io) {}
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  // --- registration ------------------------------------------------------------

  FakeDns& set(const std::string& name, std::uint16_t type, Response r) {
    check_rdata(name, type, r);
    responses_[{norm(name), type}] = std::move(r);
    return *this;
  }

  // NOERROR with data.
  FakeDns& answer(const std::string& name, std::uint16_t type, std::vector<std::string> rdata,
                  std::uint32_t ttl = 300, dns::Outcome outcome = dns::Outcome::secure()) {
    Response r;
    r.rdata = std::move(rdata);
    r.ttl = ttl;
    r.outcome = std::move(outcome);
    return set(name, type, std::move(r));
  }

  // NOERROR, no data of this type.
  FakeDns& nodata(const std::string& name, std::uint16_t type, std::uint32_t ttl = 300,
                  dns::Outcome outcome = dns::Outcome::secure()) {
    Response r;
    r.ttl = ttl;
    r.outcome = std::move(outcome);
    return set(name, type, std::move(r));
  }

  // NXDOMAIN for every type of this name (unless a type has its own registration).
  FakeDns& nxdomain(const std::string& name, std::uint32_t ttl = 300,
                    dns::Outcome outcome = dns::Outcome::secure()) {
    Response r;
    r.rcode = dns::rcode::kNxDomain;
    r.ttl = ttl;
    r.outcome = std::move(outcome);
    name_wide_[norm(name)] = std::move(r);
    return *this;
  }

  // SERVFAIL (no answer at all), indeterminate with this reason.
  FakeDns& servfail(const std::string& name, std::uint16_t type,
                    std::string why = "SERVFAIL: no answer from the upstream servers") {
    Response r;
    r.rcode = dns::rcode::kServFail;
    r.ttl = 0;
    r.outcome = dns::Outcome::indeterminate(std::move(why), dns::ede::kNoReachableAuthority);
    return set(name, type, std::move(r));
  }

  // A bogus answer as libunbound gives it: NOERROR, the (damaged) data, bogus outcome.
  FakeDns& bogus(const std::string& name, std::uint16_t type, std::vector<std::string> rdata,
                 std::string why, std::uint32_t ttl = 60) {
    return answer(name, type, std::move(rdata), ttl, dns::Outcome::bogus(std::move(why)));
  }

  // Outcome and TTL of the answers to unregistered (name, type).
  void set_negative_default(dns::Outcome outcome, std::uint32_t ttl = 300) {
    negative_outcome_ = std::move(outcome);
    negative_ttl_ = ttl;
  }

  // --- delivery control --------------------------------------------------------

  void hold() { holding_ = true; }
  std::size_t held() const { return held_.size(); }
  // Posts the held answers in the order they were asked (and stops holding).
  void release_all() {
    holding_ = false;
    auto h = std::move(held_);
    held_.clear();
    for (auto& d : h) deliver(std::move(d));
  }
  // Posts the held answers in reverse order (and stops holding).
  void release_reversed() {
    holding_ = false;
    auto h = std::move(held_);
    held_.clear();
    for (auto it = h.rbegin(); it != h.rend(); ++it) deliver(std::move(*it));
  }

  // --- observation -------------------------------------------------------------

  int count(const std::string& name, std::uint16_t type) const {
    const auto it = counts_.find({norm(name), type});
    return it == counts_.end() ? 0 : it->second;
  }
  int total() const { return static_cast<int>(log_.size()); }
  int in_flight() const { return in_flight_; }
  int max_in_flight() const { return max_in_flight_; }
  const std::vector<QueryKey>& log() const { return log_; }
  // Queries that matched no registration at all (answered by the defaults).
  const std::vector<QueryKey>& unregistered() const { return unregistered_; }
  void reset_counters() {
    counts_.clear();
    log_.clear();
    unregistered_.clear();
    max_in_flight_ = in_flight_;
  }

  // --- dns::Client -------------------------------------------------------------

  void resolve(const std::string& name, std::uint16_t type, Callback cb) override {
    const QueryKey key{norm(name), type};
    ++counts_[key];
    log_.push_back(key);
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    Delivery d{std::move(cb), make_answer(key)};
    if (holding_) {
      held_.push_back(std::move(d));
    } else {
      deliver(std::move(d));
    }
  }

  // Lower case, with the trailing dot.
  static std::string norm(std::string name) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.empty() || name.back() != '.') name.push_back('.');
    return name;
  }

  // Wire rdata of one record given in presentation form (also useful to tests).
  static std::string rdata_wire(std::uint16_t type, const std::string& text) {
    RrPtr rr = parse_rr("x. 300 IN " + type_mnemonic(type) + " " + text);
    return rr_rdata_wire(rr.get());
  }

 private:
  struct Delivery {
    Callback cb;
    dns::Answer answer;
  };
  struct RrFree {
    void operator()(ldns_rr* r) const { ldns_rr_free(r); }
  };
  struct PktFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
  };
  using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
  using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

  void deliver(Delivery d) {
    boost::asio::post(io_, [this, d = std::move(d)]() mutable {
      --in_flight_;
      d.cb(std::move(d.answer));
    });
  }

  static std::string type_mnemonic(std::uint16_t type) {
    const ldns_rr_descriptor* desc = ldns_rr_descript(type);
    if (desc == nullptr || desc->_name == nullptr) return "TYPE" + std::to_string(type);
    return desc->_name;
  }

  static RrPtr parse_rr(const std::string& text) {
    ldns_rr* rr = nullptr;
    const ldns_status st = ldns_rr_new_frm_str(&rr, text.c_str(), 300, nullptr, nullptr);
    if (st != LDNS_STATUS_OK || rr == nullptr) {
      throw std::invalid_argument("FakeDns: cannot parse '" + text +
                                  "': " + ldns_get_errorstr_by_id(st));
    }
    return RrPtr(rr);
  }

  static std::string rr_rdata_wire(const ldns_rr* rr) {
    ldns_buffer* buf = ldns_buffer_new(512);
    std::string out;
    if (buf != nullptr && ldns_rr_rdata2buffer_wire(buf, rr) == LDNS_STATUS_OK) {
      out.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buf)), ldns_buffer_position(buf));
    }
    ldns_buffer_free(buf);
    return out;
  }

  static void check_rdata(const std::string& name, std::uint16_t type, const Response& r) {
    for (const auto& rd : r.rdata) {
      parse_rr(norm(name) + " 300 IN " + type_mnemonic(type) + " " + rd);
    }
    for (const auto& add : r.additional) parse_rr(add);
  }

  // The SOA of the negative answers: a zone of its own for the name's parent.
  static std::string soa_owner(const std::string& qname) {
    const auto dot = qname.find('.');
    return dot == std::string::npos || dot + 1 >= qname.size() ? "." : qname.substr(dot + 1);
  }

  const Response* find(const QueryKey& key, bool* registered) const {
    *registered = true;
    if (auto it = responses_.find(key); it != responses_.end()) return &it->second;
    if (auto it = name_wide_.find(key.first); it != name_wide_.end()) return &it->second;
    *registered = false;
    return nullptr;
  }

  bool name_known(const std::string& name) const {
    if (name_wide_.count(name) != 0) return true;
    return std::any_of(responses_.begin(), responses_.end(),
                       [&](const auto& kv) { return kv.first.first == name; });
  }

  dns::Answer make_answer(const QueryKey& key) {
    bool registered = false;
    const Response* found = find(key, &registered);
    Response fallback;
    if (found == nullptr) {
      unregistered_.push_back(key);
      fallback.rcode = name_known(key.first) ? dns::rcode::kNoError : dns::rcode::kNxDomain;
      fallback.ttl = negative_ttl_;
      fallback.outcome = negative_outcome_;
      found = &fallback;
    }
    const Response& r = *found;
    dns::Answer a;
    a.qname = key.first;
    a.qtype = key.second;
    a.rcode = r.rcode;
    a.outcome = r.outcome;
    a.ttl = r.ttl;
    a.canonname = r.canonname;
    a.havedata = r.rcode == dns::rcode::kNoError && !r.rdata.empty();

    PktPtr pkt(ldns_pkt_new());
    ldns_pkt_set_qr(pkt.get(), true);
    ldns_pkt_set_rd(pkt.get(), true);
    ldns_pkt_set_ra(pkt.get(), true);
    ldns_pkt_set_rcode(pkt.get(), static_cast<std::uint8_t>(r.rcode));
    ldns_rr* q = ldns_rr_new();
    ldns_rr_set_owner(q, ldns_dname_new_frm_str(key.first.c_str()));
    ldns_rr_set_type(q, static_cast<ldns_rr_type>(key.second));
    ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
    ldns_rr_set_question(q, true);
    ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_QUESTION, q);
    if (a.havedata) {
      for (const auto& rd : r.rdata) {
        RrPtr rr = parse_rr(key.first + " " + std::to_string(r.ttl) + " IN " +
                            type_mnemonic(key.second) + " " + rd);
        a.rdata.push_back(rr_rdata_wire(rr.get()));
        ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rr.release());
      }
    } else if (r.rcode == dns::rcode::kNoError || r.rcode == dns::rcode::kNxDomain) {
      RrPtr soa = parse_rr(soa_owner(key.first) + " " + std::to_string(r.ttl) +
                           " IN SOA ns.invalid. hostmaster.invalid. 1 3600 900 1209600 " +
                           std::to_string(r.ttl));
      ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_AUTHORITY, soa.release());
    }
    for (const auto& add : r.additional) {
      ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ADDITIONAL, parse_rr(add).release());
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, pkt.get(), &size) == LDNS_STATUS_OK && wire != nullptr) {
      a.packet.assign(wire, wire + size);
    }
    free(wire);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
    return a;
  }

  boost::asio::io_context& io_;
  std::map<QueryKey, Response> responses_;
  std::map<std::string, Response> name_wide_;
  dns::Outcome negative_outcome_ = dns::Outcome::secure();
  std::uint32_t negative_ttl_ = 300;
  bool holding_ = false;
  std::deque<Delivery> held_;
  std::map<QueryKey, int> counts_;
  std::vector<QueryKey> log_;
  std::vector<QueryKey> unregistered_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

}  // namespace speerd::testing
