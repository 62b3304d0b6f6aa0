// Internal to resolver/lrf (not part of its API): the state of one locate() and the
// helpers its two halves share. locate_job.cpp runs the lookups (URI -> NAPTR -> SRV ->
// A/AAAA, in parallel where independent); locate_result.cpp turns what was found
// into the LocateResult once nothing is outstanding.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "resolver/lrf/locator.hpp"

namespace speerd::lrf::detail {

using Key = std::pair<std::string, std::uint16_t>;  // (owner fqdn, type)

std::string type_name(std::uint16_t type);  // "NAPTR", "SRV", "A", "AAAA"
std::string key_text(const Key& k);         // "name. TYPE"
std::string lower(std::string s);
std::string result_text(const dns::Answer& a);    // "answer", "nxdomain", "nodata", "servfail"
bool usable(const dns::Answer& a);                // answered, and secure or insecure
std::string outcome_text(const dns::Outcome& o);  // "bogus (why)"

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

class LocateJob : public std::enable_shared_from_this<LocateJob> {
 public:
  LocateJob(dns::Client& dns, boost::asio::any_io_executor ex, const LocatorOptions& opt,
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
  void fatal(model::Reason code, std::string why);
  void fatal_from(const dns::Answer& a, const std::string& what);
  void note(std::string n) { notes_.push_back(std::move(n)); }
  bool supported(Transport t) const {
    return std::find(opt_.transports.begin(), opt_.transports.end(), t) != opt_.transports.end();
  }
  void maybe_finish();
  void finish();
  void no_target_reason(LocateResult& r) const;

  // --- assembly ---------------------------------------------------------------
  model::Step step_of(const Key& key, const Lookup& l) const;
  void add_targets(LocateResult& r, const Branch& b, const std::vector<SrvRecord>& ordered,
                   const dns::Outcome& path, std::set<Key>& noted);
  // `srv`: the SRV owner that named `host` (empty: none).
  void add_host_targets(LocateResult& r, const std::string& host, std::uint16_t port,
                        Transport transport, std::uint16_t priority, std::uint16_t weight,
                        const std::string& srv, const dns::Outcome& path, std::set<Key>& noted);

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
  std::optional<std::pair<model::Reason, std::string>> fatal_;  // (code, reason)
  std::vector<model::Target> direct_targets_;                   // numeric host
};

}  // namespace speerd::lrf::detail
