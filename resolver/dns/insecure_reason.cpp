#include "resolver/dns/insecure_reason.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include "resolver/dns/packet.hpp"

namespace speerd::dns {
namespace {

constexpr std::uint16_t kNs = 2;
constexpr std::uint16_t kDs = 43;
constexpr std::uint16_t kNsec3 = 50;

std::string lower_fqdn(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name.empty() || name.back() != '.') name.push_back('.');
  return name;
}

// `name` is `zone` or below it (label boundaries; both lower-case fqdns).
bool at_or_below(const std::string& name, const std::string& zone) {
  if (zone == ".") return true;
  if (name.size() < zone.size()) return false;
  if (name.compare(name.size() - zone.size(), zone.size(), zone) != 0) return false;
  return name.size() == zone.size() || name[name.size() - zone.size() - 1] == '.';
}

// The names strictly below `anchor` down to `qname`, top first.
std::vector<std::string> names_below(const std::string& qname, const std::string& anchor) {
  std::vector<std::string> out;
  std::string n = qname;
  while (n != anchor && n.size() > anchor.size()) {
    out.push_back(n);
    const auto dot = n.find('.');
    if (dot == std::string::npos || dot + 1 >= n.size()) break;
    n = n.substr(dot + 1);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// DNSKEY algorithms and DS digest types unbound 1.17 validates (built with
// nettle on Debian: no GOST).
bool supported_algorithm(std::uint8_t a) {
  return a == 5 || a == 7 || a == 8 || a == 10 || a == 13 || a == 14 || a == 15 || a == 16;
}
bool supported_digest(std::uint8_t d) {
  return d == 1 || d == 2 || d == 4;
}

// The highest NSEC3 iteration count in the answer's authority section.
std::optional<std::uint16_t> nsec3_iterations(const Answer& a) {
  std::optional<std::uint16_t> most;
  for (const auto& r : authority_records(a.packet)) {
    if (r.type != kNsec3 || r.rdata.size() < 4) continue;
    const auto it = static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[2]) << 8) |
                                               static_cast<unsigned char>(r.rdata[3]));
    most = std::max(most.value_or(0), it);
  }
  return most;
}

struct Walk : std::enable_shared_from_this<Walk> {
  std::shared_ptr<Client> dns;
  Answer answer;
  std::function<void(Answer)> done;
  std::string anchor;
  std::vector<std::string> names;  // below the anchor, top first
  std::size_t i = 0;

  void finish(std::string why, std::optional<std::uint16_t> ede = std::nullopt) {
    answer.outcome = Outcome::insecure(std::move(why));
    answer.outcome.ede = ede;
    auto d = std::move(done);
    d(std::move(answer));
  }

  void fallback() {
    finish("insecure under the trust anchor for " + anchor +
           ": the chain of trust is secure down to " + answer.qname +
           " and the validator gave no reason");
  }

  void next() {
    if (i >= names.size() || i >= kMaxDiagnosisLabels) return fallback();
    auto self = shared_from_this();
    dns->resolve(names[i], kDs, [self](const Answer& ds) { self->on_ds(ds); });
  }

  void on_ds(const Answer& ds) {
    const std::string& z = names[i];
    if (ds.outcome.state != Security::secure) return fallback();  // cannot tell more
    if (ds.havedata) {
      bool alg = false, digest = false;
      std::uint8_t bad_alg = 0, bad_digest = 0;
      for (const auto& rd : ds.rdata) {
        if (rd.size() < 4) continue;
        const auto a = static_cast<std::uint8_t>(rd[2]);
        const auto d = static_cast<std::uint8_t>(rd[3]);
        if (supported_algorithm(a)) {
          alg = true;
        } else {
          bad_alg = a;
        }
        if (supported_digest(d)) {
          digest = true;
        } else {
          bad_digest = d;
        }
      }
      if (!alg) {
        return finish("the DS records of " + z + " use only unsupported DNSKEY algorithm(s) (" +
                          std::to_string(bad_alg) + ")",
                      ede::kUnsupportedDnskeyAlgorithm);
      }
      if (!digest) {
        return finish("the DS records of " + z + " use only unsupported digest type(s) (" +
                          std::to_string(bad_digest) + ")",
                      ede::kUnsupportedDsDigest);
      }
      ++i;
      return next();
    }
    if (ds.nxdomain()) return fallback();
    // Secure NODATA for DS: an unsigned delegation if z is a zone cut.
    auto self = shared_from_this();
    dns->resolve(z, kNs, [self](const Answer& ns) {
      if (ns.havedata) {
        const std::string& cut = self->names[self->i];
        return self->finish("unsigned delegation: the parent zone proves that " + cut +
                            " has no DS record, so nothing below it is signed");
      }
      ++self->i;
      self->next();
    });
  }
};

}  // namespace

std::vector<std::string> anchor_owners(const std::vector<std::string>& anchors,
                                       const std::vector<std::string>& files) {
  std::vector<std::string> out;
  auto add = [&](const std::string& line) {
    std::istringstream in(line);
    std::string owner;
    if (in >> owner && owner[0] != ';' && owner[0] != '#') out.push_back(lower_fqdn(owner));
  };
  for (const auto& a : anchors) add(a);
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) add(line);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void explain_insecure(std::shared_ptr<Client> dns,
                      const std::shared_ptr<const std::vector<std::string>>& anchors, Answer answer,
                      std::function<void(Answer)> done) {
  const std::string qname = lower_fqdn(answer.qname);
  std::string covering;
  for (const auto& a : *anchors) {
    if (at_or_below(qname, a) && a.size() > covering.size()) covering = a;
  }
  auto walk = std::make_shared<Walk>();
  walk->dns = std::move(dns);
  walk->answer = std::move(answer);
  walk->done = std::move(done);
  if (covering.empty()) return walk->finish("no trust anchor covers " + qname);
  walk->anchor = covering;
  if (walk->answer.nxdomain() || walk->answer.nodata()) {
    if (auto it = nsec3_iterations(walk->answer); it && *it > kMaxNsec3Iterations) {
      return walk->finish("the denial uses NSEC3 with " + std::to_string(*it) +
                              " iterations, more than the validator accepts (" +
                              std::to_string(kMaxNsec3Iterations) + ", RFC 9276)",
                          kEdeUnsupportedNsec3Iterations);
    }
  }
  walk->names = names_below(qname, covering);
  walk->next();
}

}  // namespace speerd::dns
