// speerctl trace --dns (dns_trace.hpp): the DNS front end's Handler, its
// configuration ([dns_front] and the trees, dnsfront::handler_config) and
// client snapshot (service::ClientTable from the store, as the store watcher
// builds it) in this process; one query in, the answer and the decision out.
#include "tools/speerctl/dns_trace.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "resolver/daemon/config.hpp"
#include "resolver/dnsfront/front_end.hpp"
#include "resolver/dnsfront/handler.hpp"
#include "resolver/service/client_snapshot.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/local_pipeline.hpp"

namespace speerctl {
namespace {

namespace df = speerd::dnsfront;
namespace pl = speerd::pipeline;
namespace svc = speerd::service;
using nlohmann::json;

// The local pipeline as the front end's lookup service, keeping what the
// front end asked and what came back for the trace.
class Recording final : public pl::LookupService {
 public:
  explicit Recording(pl::LookupService& inner) : inner_(inner) {}
  void lookup(const pl::LookupRequest& req, Callback cb) override {
    request = req;
    inner_.lookup(req, [this, cb = std::move(cb)](pl::ResultPtr r) {
      result = r;
      cb(std::move(r));
    });
  }
  void route(const pl::RouteRequest& req, Callback cb) override {
    inner_.route(req, std::move(cb));
  }
  std::optional<pl::LookupRequest> request;
  pl::ResultPtr result;

 private:
  pl::LookupService& inner_;
};

// Captures the front end's log events (its refusal line says why) instead
// of printing them.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("speerctl-trace", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // The "why" of each event named `name`.
  std::vector<std::string> why(const std::string& name) const {
    std::vector<std::string> out;
    std::istringstream in(text_.str());
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == name) out.push_back(j.value("why", ""));
    }
    return out;
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_number(const std::string& s) {
  const std::size_t from = !s.empty() && s[0] == '+' ? 1 : 0;
  return s.size() > from && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from), s.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; });
}

// The name a number has under `tree` (RFC 6116: digits reversed).
std::string number_name(const std::string& number, const df::Tree& tree) {
  std::string out;
  for (auto it = number.rbegin(); it != number.rend(); ++it) {
    if (*it != '+') out += std::string(1, *it) + ".";
  }
  return out + tree.suffix;
}

const df::Tree& pick_tree(const std::vector<df::Tree>& trees, const std::string& wanted) {
  if (trees.empty()) throw Exit(exit_code::kConfig, "no [[enum.tree]] configured");
  if (wanted.empty()) return trees.front();
  const std::string w = lower(wanted);
  for (const auto& t : trees) {
    if (t.name == w || t.suffix == w || t.suffix == w + ".") return t;
  }
  throw Exit(exit_code::kUsage, "--tree " + wanted + ": not a configured tree");
}

// "host:port" / "[v6]:port" of a listen entry.
std::pair<std::string, std::string> host_port(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return {listen, "53"};
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {host, listen.substr(colon + 1)};
}

std::string dig_command(const svc::DnsFrontSection& s, const DnsTraceOptions& o,
                        const std::string& qname, const std::string& source) {
  const bool dot = !o.client.empty();
  const auto& listen = dot ? s.tls_listen : s.listen;
  const auto [host, port] = host_port(listen.empty() ? "127.0.0.1:53" : listen.front());
  std::string cmd = "dig @" + host + " -p " + port;
  if (!dot) cmd += " -b " + source;
  cmd += " " + qname + " " + o.qtype + " +nocookie";
  if (o.dnssec) cmd += " +dnssec";
  if (o.tcp) cmd += " +tcp";
  if (dot) {
    cmd +=
        " +tls +tls-ca=CA.crt +tls-certfile=" + o.client + ".crt +tls-keyfile=" + o.client + ".key";
  }
  if (!o.tsig_key.empty()) cmd += " -y hmac-sha256:" + o.tsig_key + ":SECRET";
  return cmd;
}

// The label the handler counted in a one-label family (one query: at most one).
template <typename E>
std::optional<E> counted(const svc::Metrics& m, svc::Metric family) {
  for (std::size_t i = 0; i < speerd::enum_count<E>(); ++i) {
    if (m.value(family, i) > 0) return static_cast<E>(i);
  }
  return std::nullopt;
}

json answer_json(const DecodedAnswer& a) {
  json e = json::array();
  for (const auto& x : a.ede) e.push_back({{"code", x.code}, {"text", x.text}});
  return {{"rcode", a.parsed ? json(a.rcode) : json(nullptr)},
          {"flags", a.flags},
          {"ede", e},
          {"ad", std::find(a.flags.begin(), a.flags.end(), "ad") != a.flags.end()},
          {"answer", a.answer},
          {"authority", a.authority},
          {"naptrs", a.naptrs},
          {"signed", a.signed_answer},
          {"bytes", a.bytes}};
}

void print_text(const json& j, const DecodedAnswer& a, const pl::ResultPtr& lookup) {
  auto& out = std::cout;
  const auto& q = j["query"];
  const auto& acc = j["access"];
  out << "dns query:   " << q["name"].get<std::string>() << " IN " << q["qtype"].get<std::string>()
      << ", from " << q["source"].get<std::string>() << " over "
      << q["transport"].get<std::string>() << (q["dnssec"].get<bool>() ? ", DO" : "")
      << (q["tsig_key"].is_string() ? ", signed with " + q["tsig_key"].get<std::string>() : "")
      << "\n";
  out << "access:      " << acc["identity"].get<std::string>() << "\n";
  if (acc["tree"].is_string()) {
    out << "             tree " << acc["tree"].get<std::string>()
        << (acc["in_scope"].is_boolean()
                ? (acc["in_scope"].get<bool>() ? ", in the client's scope"
                                               : ", outside the client's scope")
                : "")
        << "\n";
  } else {
    out << "             under no configured tree\n";
  }
  if (acc["refused"].is_string()) {
    out << "decision:    refused (" << acc["refused"].get<std::string>()
        << "): " << acc["why"].get<std::string>() << "\n";
  } else if (acc["tsig"].is_string() && acc["tsig"] != "ok") {
    out << "decision:    TSIG " << acc["tsig"].get<std::string>() << "\n";
  } else if (lookup) {
    out << "decision:    served: the number's lookup, as below\n";
  } else {
    out << "decision:    answered without a lookup\n";
  }
  if (lookup) {
    out << "--- lookup (" << j["lookup_request"]["number"].get<std::string>() << ", tree "
        << j["lookup_request"]["tree"].get<std::string>() << ") ---\n";
    print_result(*lookup, true);
    out << "--- dns answer ---\n";
  }
  if (!a.parsed) {
    out << "answer:      none (" << (a.bytes == 0 ? "nothing sent" : "unreadable") << ")\n";
  } else {
    out << "rcode:       " << a.rcode << "\n";
    std::string flags;
    for (const auto& f : a.flags) flags += (flags.empty() ? "" : " ") + f;
    out << "flags:       " << flags << "\n";
    for (const auto& e : a.ede) out << "ede:         " << e.code << " (" << e.text << ")\n";
    for (const auto& r : a.answer) out << "answer:      " << r << "\n";
    for (const auto& r : a.authority) out << "authority:   " << r << "\n";
    if (a.signed_answer) out << "tsig:        the answer is signed\n";
    out << "naptr mode:  " << j["naptr_answer"].get<std::string>() << "\n";
  }
  out << "reproduce:   " << q["dig"].get<std::string>() << "\n";
}

}  // namespace

void run_dns_trace(const DnsTraceOptions& o) {
  if (o.client.empty() && o.source.empty()) {
    throw Exit(exit_code::kUsage,
               "--dns needs --source ADDR (UDP/TCP: the client of that prefix) or --client NAME "
               "(DoT: as that client's certificate)");
  }
  auto loaded = speerd::daemon::load_config(o.config_path);
  if (!loaded) throw Exit(exit_code::kConfig, loaded.error());
  const auto& cfg = **loaded;
  const std::string store_uri = o.store_uri.empty() ? cfg.server.store.uri : o.store_uri;
  if (store_uri.empty()) throw Exit(exit_code::kUsage, "--dns needs --store (or [store] uri)");
  const auto qtype = qtype_of(o.qtype);
  if (!qtype) throw Exit(exit_code::kUsage, "--qtype " + o.qtype + ": not a DNS type");
  boost::system::error_code ec;
  const auto source = boost::asio::ip::make_address(o.source.empty() ? "127.0.0.1" : o.source, ec);
  if (ec) throw Exit(exit_code::kUsage, "--source " + o.source + ": not an IP address");

  auto local = open_local(cfg.resolver, store_uri);
  std::vector<df::Tree> trees;
  std::map<std::string, std::string> tree_names;  // suffix -> name, as the daemon's watcher
  for (const auto& t : local->config->trees) {
    trees.push_back({t.name, t.suffix});
    tree_names[t.suffix] = t.name;
  }
  std::string qname =
      is_number(o.input) ? number_name(o.input, pick_tree(trees, o.tree)) : lower(o.input);
  if (qname.empty() || qname.back() != '.') qname += '.';

  auto clients = local->store->list_clients();
  if (!clients) throw Exit(exit_code::kConfig, "store: " + clients.error().message);
  const svc::ClientTable table(*clients, tree_names, 0);

  // The query, signed with a key of the store when asked.
  QuerySpec spec{qname, *qtype, o.dnssec, {}, {}};
  if (!o.tsig_key.empty()) {
    const auto* key =
        table.sources().find_key(lower(o.tsig_key) + (o.tsig_key.back() == '.' ? "" : "."));
    if (key == nullptr) {
      throw Exit(exit_code::kNotFound,
                 "--tsig-key " + o.tsig_key + ": no enabled client has this key");
    }
    spec.tsig_name = key->name;
    spec.tsig_secret = key->secret;
  }
  const auto wire = build_query(spec);

  svc::Metrics metrics;
  svc::RateLimiter limiter;
  auto hc = df::handler_config(cfg.server, trees);
  hc.rrl = nullptr;  // one query: response-rate limiting has nothing to say
  df::Handler handler(hc, std::make_unique<df::MemorySources>(table.sources()), limiter, metrics);
  auto recording = std::make_shared<Recording>(*local->pipeline);
  handler.set_service(recording);

  json access;
  std::optional<svc::ClientRecord> dot_client;
  if (!o.client.empty()) {
    const auto it = std::find_if(clients->begin(), clients->end(),
                                 [&](const auto& c) { return c.name == o.client; });
    if (it == clients->end())
      throw Exit(exit_code::kNotFound, "no client named '" + o.client + "'");
    std::map<std::string, std::string> folded;
    for (const auto& [suffix, name] : tree_names) folded[svc::fold_tree(suffix)] = name;
    access["identity"] = "client " + o.client + " (by its certificate, as over DoT)";
    if (it->enabled) dot_client = svc::record_of(*it, folded);
  } else if (const auto* c = table.sources().find(source)) {
    access["identity"] = "source " + source.to_string() + " -> client " + c->id +
                         (c->tsig_required ? " (tsig_required)" : "");
  } else {
    access["identity"] = "source " + source.to_string() + " -> no client has this prefix";
  }
  const df::Tree* tree = df::tree_for(trees, qname);
  access["tree"] = tree ? json(tree->name + " (" + tree->suffix + ")") : json(nullptr);
  const svc::ClientRecord* who =
      dot_client ? &*dot_client : (o.client.empty() ? table.sources().find(source) : nullptr);
  access["in_scope"] = tree && who ? json(df::in_scope(who->scope, *tree)) : json(nullptr);

  std::vector<std::uint8_t> answer;
  const auto transport = !o.client.empty() ? df::Transport::tls
                         : o.tcp           ? df::Transport::tcp
                                           : df::Transport::udp;
  LogCapture log;
  {
    auto reply = [&answer](std::vector<std::uint8_t> b) { answer = std::move(b); };
    if (!o.client.empty() && !dot_client) {
      // What the DoT listener does with a certificate of a disabled client.
      handler.refuse(source, svc::DnsRefused::unknown_client,
                     "client " + o.client + " is disabled: the DoT connection closes unanswered");
    } else if (dot_client) {
      handler.handle_client(wire, source, transport, *dot_client, reply);
    } else {
      handler.handle(wire, source, transport, reply);
    }
    local->io.run();
  }
  const auto refused = counted<svc::DnsRefused>(metrics, svc::Metric::dns_refused);
  const auto tsig = counted<svc::DnsTsig>(metrics, svc::Metric::dns_tsig);
  const auto whys = log.why("dns-refused");
  access["refused"] = refused ? json(std::string(speerd::enum_name(*refused))) : json(nullptr);
  access["why"] = whys.empty() ? json(nullptr) : json(whys.front());
  if (refused && whys.empty()) access["why"] = std::string(speerd::enum_name(*refused));
  access["tsig"] = tsig ? json(std::string(speerd::enum_name(*tsig))) : json(nullptr);

  const DecodedAnswer a = decode_answer(answer);
  json j;
  j["query"] = {{"name", qname},
                {"qtype", o.qtype},
                {"source", source.to_string()},
                {"client", o.client.empty() ? json(nullptr) : json(o.client)},
                {"transport", std::string(df::to_string(transport))},
                {"dnssec", o.dnssec},
                {"tsig_key", spec.tsig_name.empty() ? json(nullptr) : json(spec.tsig_name)},
                {"dig", dig_command(cfg.server.dns_front, o, qname, source.to_string())}};
  j["access"] = access;
  j["answer"] = answer_json(a);
  j["naptr_answer"] = cfg.server.dns_front.naptr_answer == svc::NaptrAnswer::as_received
                          ? "as-received"
                          : "synthesized";
  j["dns_front_enabled"] = cfg.server.dns_front.enabled;
  if (recording->request) {
    j["lookup_request"] = {{"number", recording->request->number},
                           {"tree", recording->request->scope.trees.empty()
                                        ? std::string()
                                        : recording->request->scope.trees.front()}};
  }
  j["lookup"] =
      recording->result ? pl::to_json(*recording->result, pl::JsonForm::full) : json(nullptr);
  if (o.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    if (!cfg.server.dns_front.enabled) {
      std::cout << "note:        [dns_front] is not enabled: this is what it would answer\n";
    }
    print_text(j, a, recording->result);
  }
  if (!a.parsed || a.rcode != "NOERROR" || a.naptrs == 0) throw Exit(exit_code::kRejected, "");
}

}  // namespace speerctl
