// The LRF: RFC 3263 section 4 server location for sip: and sips: URIs, on the
// validating dns::Client, asynchronously, with the independent lookups in parallel.
//
//   numeric host            -> that address; no DNS (port: URI or default)
//   explicit port           -> A + AAAA of the host, at that port
//   ;transport=, no port    -> SRV for that transport (_sips._tcp for TLS), else A/AAAA
//                              at the transport's default port (ws/wss: A/AAAA only)
//   otherwise               -> NAPTR at the host: SIP/SIPS D2U/D2T/D2S/D2W records with
//                              flag "s", by order then preference -> SRV at each
//                              replacement (in parallel) -> A + AAAA of each target
//                              (in parallel, each host once)
//     no NAPTR              -> SRV _sips._tcp, _sip._tcp, _sip._udp in parallel
//                              (sips: _sips._tcp; _sip._tcp/_sip._udp only probed)
//       no SRV              -> A + AAAA of the host at the default port, UDP for sip:,
//                              TLS for sips:
//
// Every DNS answer becomes a model::Step with its validation outcome. A target's
// outcome is the weakest of the steps that produced it (NAPTR, SRV or the denials
// that led to the fallback, and its address lookup). Addresses from a bogus or failed
// lookup are dropped and the reason kept in `notes`; insecure ones are kept and
// marked, for the pipeline's policy (see apply_insecure_policy()).
//
// Decisions on RFC ambiguities are in resolver/lrf/DECISIONS.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "resolver/dns/client.hpp"
#include "resolver/lrf/limits.hpp"
#include "resolver/lrf/sip_uri.hpp"
#include "resolver/lrf/srv.hpp"
#include "resolver/model/lookup.hpp"

namespace speerd::lrf {

// The bounds of one locate(); defaults are the named constants of limits.hpp.
struct LocatorLimits {
  std::size_t max_naptr_records = kMaxNaptrRecords;
  std::size_t max_srv_records = kMaxSrvRecords;
  std::size_t max_target_hosts = kMaxTargetHosts;
  std::size_t max_addresses_per_family = kMaxAddressesPerFamily;
  std::size_t max_targets = kMaxTargets;
  std::size_t max_queries = kMaxQueriesPerLocate;
};

enum class AddressOrder : std::uint8_t { ipv4_first, ipv6_first };

struct LocatorOptions {
  LocatorLimits limits;
  // Next-hop transports the SBEs can use. NAPTR records and ;transport= values for
  // others are skipped with a reason (RFC 3263 4.1: discard unsupported services).
  std::vector<Transport> transports{std::begin(kAllTransports), std::end(kAllTransports)};
  // Take A/AAAA records from the additional section of a SECURE SRV answer instead
  // of querying them (DECISIONS.md: libunbound's val-clean-additional leaves only
  // validated RRsets there). A type that is absent there is still queried.
  bool use_additional_section = true;
  // Which family's addresses come first for one SRV target.
  AddressOrder address_order = AddressOrder::ipv4_first;
  // Seed of the RFC 2782 weighted selection; nullopt: seeded from std::random_device.
  // Each locate() draws its own generator from this one, so a result does not depend
  // on the order in which DNS answers arrive.
  std::optional<std::uint64_t> seed;
};

struct LocateResult {
  model::Verdict verdict = model::Verdict::reject;
  // model::reason::*: kRouted; kBadInput (URI refused); kNotFound (the domain does
  // not exist); kDnssecBogus; kUpstreamFailure / kIndeterminate (no answer, no
  // validation result); kNoUsableRecord (records exist but none is usable for this
  // URI: sips: without TLS, unsupported transports, SRV target "."); kNoTargets (no
  // address found); kInsecureNotAllowed (apply_insecure_policy).
  model::Reason code = model::reason::kNoTargets;
  std::string reason;                  // human-readable; for a reject, the first cause
  std::string uri;                     // the URI as given
  std::vector<model::Target> targets;  // in the order to try them
  std::vector<model::Step> steps;      // every DNS step, in resolution order
  std::vector<std::string> notes;      // every record or target skipped or dropped, and why
  dns::Outcome outcome;                // route: the weakest target; reject: the weakest step
  std::uint32_t ttl = 0;               // smallest TTL of the steps (kNoDnsTtl when there are none)
  std::size_t queries = 0;             // DNS queries issued

  bool routable() const { return verdict == model::Verdict::route; }
};

class Locator {
 public:
  using Callback = std::function<void(LocateResult)>;

  // `dns` must outlive every locate() in progress; the Locator itself may be
  // destroyed while lookups are in flight. Results are delivered on `executor`
  // (the io_context the dns::Client delivers on, in speerd).
  Locator(dns::Client& dns, boost::asio::any_io_executor executor, LocatorOptions options = {});

  // Locates the targets of a sip: or sips: URI. `cb` runs exactly once, on the
  // executor, never from inside locate() (also for a URI that needs no DNS).
  void locate(const std::string& uri, Callback cb);

  const LocatorOptions& options() const { return options_; }

 private:
  dns::Client& dns_;
  boost::asio::any_io_executor executor_;
  LocatorOptions options_;
  Random rng_;
};

// speerd's policy for peer-domain answers ([lookup] allow_insecure_targets): keeps
// secure targets, and insecure ones only when allowed; every target removed is noted.
// When none is left the result becomes a reject (kInsecureNotAllowed) that keeps
// the steps and the outcome. A result that is already a reject is left alone.
// `vouched`, when given, keeps an insecure target it returns true for even
// when insecure targets are not allowed (the SED store vouches for it).
// A target whose outcome is not_applicable (an IP literal host) is kept
// only when `allow_ip_literal_targets`.
void apply_insecure_policy(LocateResult& result, bool allow_insecure_targets,
                           const std::function<bool(const model::Target&)>& vouched = {},
                           bool allow_ip_literal_targets = true);

}  // namespace speerd::lrf
