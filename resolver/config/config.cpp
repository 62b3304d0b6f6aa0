#include "resolver/config/config.hpp"

#include "enum/enumservice.hpp"
#include "enum/printable.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

namespace speerd::config {

namespace {

using R = Rows<ResolverConfig>;
using Stub = Rows<dns::StubZone>;
using Tree = Rows<TreeConfig>;
using Strings = std::vector<std::string>;

std::string fqdn_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s.empty() || s.back() != '.') s.push_back('.');
  return s;
}

bool valid_domain(const std::string& d) {
  if (d.empty() || d.size() > 254) return false;
  if (d == ".") return true;
  std::size_t label = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(d[i]);
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return true;
}

Expected<bool> check_server(const std::string& s) {
  // "IP" or "IP@port": libunbound's own syntax for stub addresses.
  const auto at = s.find('@');
  const std::string ip = s.substr(0, at);
  if (ip.empty() || ip.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos) {
    return fail("'" + s + "' is not an IP address (optionally @port)");
  }
  if (at != std::string::npos) {
    const std::string port = s.substr(at + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535) {
      return fail("'" + s + "' has a bad port");
    }
  }
  return true;
}

Expected<bool> check_servers(const Strings& servers) {
  for (const auto& s : servers) {
    if (auto r = check_server(s); !r) return r;
  }
  return true;
}

// Relative to the file's folder; each must be a file.
Expected<Strings> anchor_files(const Value& v, const Context& ctx) {
  Strings out;
  for (const auto& f : std::get<Strings>(v)) {
    const std::filesystem::path p(f);
    out.push_back((p.is_absolute() ? p : ctx.base_dir / p).lexically_normal().string());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(out.back(), ec)) {
      return fail("'" + out.back() + "' does not exist or is not a file");
    }
  }
  return out;
}

Expected<std::string> domain(const Value& v) {
  std::string d = fqdn_lower(std::get<std::string>(v));
  if (!valid_domain(d)) return fail("'" + std::get<std::string>(v) + "' is not a domain name");
  return d;
}

Expected<bool> enumservice(const Value& v) {
  const auto& s = std::get<std::string>(v);
  if (s.empty()) return true;
  if (auto e = luf::parse_enumservice(s); !e) return fail(e.error());
  return true;
}

std::vector<Row<ResolverConfig>> dns_rows() {
  auto files = R::strings(
      "trust_anchor_files", [](auto& c) -> auto& { return c.dns.trust_anchor_files; }, {},
      "Trust anchor files (DS or DNSKEY lines) for every lookup; relative to this file. The "
      "store's anchors are added to them.");
  files.set = [](ResolverConfig& c, const Value& v, const Context& ctx) -> Expected<bool> {
    auto f = anchor_files(v, ctx);
    if (!f) return fail(f.error());
    c.dns.trust_anchor_files = std::move(*f);
    return true;
  };
  Row<ResolverConfig> timeout{
      {"query_timeout_ms", Kind::integer, std::int64_t{dns::kDefaultQueryTimeout.count()},
       "One upstream query; the lookup fails as upstream-failure after it.", 100, 60000},
      [](ResolverConfig& c, const Value& v, const Context&) -> Expected<bool> {
        c.dns.query_timeout = std::chrono::milliseconds(std::get<std::int64_t>(v));
        return true;
      },
      [](const ResolverConfig& c) -> Value {
        return static_cast<std::int64_t>(c.dns.query_timeout.count());
      }};
  return {
      files,
      R::strings(
          "trust_anchors", [](auto& c) -> auto& { return c.dns.trust_anchors; }, {},
          "DS or DNSKEY presentation lines, in addition to the files."),
      R::boolean(
          "qname_minimisation", [](auto& c) -> auto& { return c.dns.qname_minimisation; }, false,
          "Ask each upstream only for the labels it needs (RFC 9156)."),
      timeout,
  };
}

Section<ResolverConfig> stub_section() {
  ArraySpec<ResolverConfig, dns::StubZone> spec{
      "dns.stub",
      "one per zone served by your authoritative servers (several per zone: RFC 6404 4.3)",
      {},
      [](ResolverConfig& c, dns::StubZone&& z, const std::string&, const std::string&) {
        c.dns.stubs.push_back(std::move(z));
        return Expected<bool>(true);
      },
      [](const ResolverConfig& c) -> const std::vector<dns::StubZone>& { return c.dns.stubs; }};
  auto zone =
      Stub::string("zone", [](auto& z) -> auto& { return z.zone; }, "",
                   "The zone these servers serve (a stub zone: asked directly, not from the root).",
                   {}, {.required = true});
  zone.set = [](dns::StubZone& z, const Value& v, const Context&) -> Expected<bool> {
    auto d = domain(v);
    if (!d) return fail(d.error());
    z.zone = std::move(*d);
    return true;
  };
  auto servers =
      Stub::strings("servers", [](auto& z) -> auto& { return z.servers; }, {},
                    "Its authoritative servers, \"IP\" or \"IP@port\".", {.required = true});
  servers.set = [](dns::StubZone& z, const Value& v, const Context&) -> Expected<bool> {
    const auto& list = std::get<Strings>(v);
    if (list.empty()) return fail("at least one server is needed");
    if (auto r = check_servers(list); !r) return r;
    z.servers = list;
    return true;
  };
  spec.rows = {zone, servers};
  return array_section(std::move(spec));
}

Expected<bool> add_tree(ResolverConfig& c, TreeConfig&& t, const std::string& source,
                        const std::string& label) {
  if (t.name.empty()) t.name = t.suffix;
  for (const auto& other : c.trees) {
    if (other.name == t.name) {
      return setting_error(source, label, "name", "'" + t.name + "' is used twice");
    }
  }
  if (!t.servers.empty()) c.dns.stubs.push_back({t.suffix, t.servers});
  c.trees.push_back(std::move(t));
  return true;
}

std::vector<Row<TreeConfig>> tree_rows() {
  auto suffix = Tree::string("suffix", [](auto& t) -> auto& { return t.suffix; }, "",
                             "The tree's domain (\"e164.arpa.\"); numbers are looked up below it.",
                             {}, {.required = true});
  suffix.set = [](TreeConfig& t, const Value& v, const Context&) -> Expected<bool> {
    auto d = domain(v);
    if (!d) return fail(d.error());
    t.suffix = std::move(*d);
    return true;
  };
  auto servers = Tree::strings(
      "servers", [](auto& t) -> auto& { return t.servers; }, {},
      "This tree's authoritative servers (a stub for its suffix), \"IP[@port]\".");
  servers.set = [](TreeConfig& t, const Value& v, const Context&) -> Expected<bool> {
    if (auto r = check_servers(std::get<Strings>(v)); !r) return r;
    t.servers = std::get<Strings>(v);
    return true;
  };
  auto service = Tree::string(
      "service", [](auto& t) -> auto& { return t.service; }, "",
      "This tree's Enumservices when a request names none (\"E2U+sip+voice:sip+pstn:sip\"); "
      "empty: [lookup] service.");
  service.set = [](TreeConfig& t, const Value& v, const Context&) -> Expected<bool> {
    if (auto r = enumservice(v); !r) return r;
    t.service = std::get<std::string>(v);
    return true;
  };
  auto files = Tree::strings(
      "trust_anchor_files", [](auto& t) -> auto& { return t.trust_anchor_files; }, {},
      "This tree's own anchors: its answers validate with [dns]'s anchors plus these, and no "
      "other tree's.");
  files.set = [](TreeConfig& t, const Value& v, const Context& ctx) -> Expected<bool> {
    auto f = anchor_files(v, ctx);
    if (!f) return fail(f.error());
    t.trust_anchor_files = std::move(*f);
    return true;
  };
  return {
      Tree::string("name", [](auto& t) -> auto& { return t.name; }, "",
                   "Short name, used in client scopes and responses; unique.", {},
                   {.absent = "the suffix"}),
      suffix,
      Tree::choice(
          "policy", [](auto& t) -> auto& { return t.policy; }, TreePolicy::require_secure,
          "require-secure: only secure answers route; allow-insecure: insecure ones too "
          "(bogus never)."),
      servers,
      files,
      service,
  };
}

std::vector<Row<ResolverConfig>> lookup_rows() {
  auto service = R::string(
      "service", [](auto& c) -> auto& { return c.lookup.service; }, "E2U+sip+voice:sip",
      "Enumservices accepted when a request names none; each matches by type and subtype (RFC "
      "6117): what deployed SBC ENUM modules accept for SIP.");
  service.set = [](ResolverConfig& c, const Value& v, const Context&) -> Expected<bool> {
    if (auto e = luf::parse_enumservice(std::get<std::string>(v)); !e) return fail(e.error());
    c.lookup.service = std::get<std::string>(v);
    return true;
  };
  Row<ResolverConfig> portability{
      {"number_portability",
       Kind::string,
       std::string("route-by-rn"),
       "route-by-rn: an ENUM result with an RFC 4694 routing number (rn) routes by that "
       "number's SED where the store provisions it for the client; ignore: it does not.",
       0,
       0,
       {"route-by-rn", "ignore"}},
      [](ResolverConfig& c, const Value& v, const Context&) -> Expected<bool> {
        c.lookup.route_ported_by_rn = std::get<std::string>(v) == "route-by-rn";
        return true;
      },
      [](const ResolverConfig& c) -> Value {
        return std::string(c.lookup.route_ported_by_rn ? "route-by-rn" : "ignore");
      }};
  return {
      service,
      R::integer(
          "max_nonterminal_hops", [](auto& c) -> auto& { return c.lookup.max_nonterminal_hops; },
          luf::kMaxNonTerminalHops, 0, 16, "Non-terminal NAPTR rules followed per lookup."),
      R::choice(
          "store_policy", [](auto& c) -> auto& { return c.lookup.store_policy; },
          StorePolicy::advisory,
          "How a DNS answer is checked against the SED store: strict (a mismatch rejects), "
          "advisory (flagged and routed), store-authoritative (provisioned SED answers without "
          "DNS)."),
      R::boolean(
          "allow_insecure_targets",
          [](auto& c) -> auto& { return c.lookup.allow_insecure_targets; }, false,
          "Insecure answers for names outside the ENUM trees (peer domains) route only when "
          "true; a store match vouches for them anyway."),
      R::boolean(
          "allow_ip_literal_targets",
          [](auto& c) -> auto& { return c.lookup.allow_ip_literal_targets; }, true,
          "A URI whose host is an IP literal needs no DNS (outcome not-applicable); it routes "
          "only when true."),
      portability,
  };
}

std::vector<Row<ResolverConfig>> cache_rows() {
  return {
      R::integer(
          "max_entries", [](auto& c) -> auto& { return c.cache.max_entries; }, 100000, 0,
          100'000'000, "Result cache: LRU bound on entries."),
      R::integer(
          "max_bytes", [](auto& c) -> auto& { return c.cache.max_bytes; }, 64 << 20, 0,
          std::int64_t{64} << 30, "Result cache: LRU bound on approximate memory use."),
      R::integer(
          "max_ttl", [](auto& c) -> auto& { return c.cache.max_ttl; }, 3600, 0, 7 * 86400,
          "Seconds; a result's TTL is capped to this."),
      R::integer(
          "negative_max_ttl", [](auto& c) -> auto& { return c.cache.negative_max_ttl; }, 300, 0,
          86400, "Seconds; the cap for negative answers."),
      R::integer(
          "stale_window", [](auto& c) -> auto& { return c.cache.stale_window; }, 300, 0, 86400,
          "Seconds after expiry a validated answer may be served while upstreams fail; 0: "
          "never."),
      R::integer(
          "failure_min_ttl", [](auto& c) -> auto& { return c.cache.failure_min_ttl; }, 5, 0, 3600,
          "Failure cache: a bogus or indeterminate outcome is answered from it for this many "
          "seconds, doubling while it persists; 0: off."),
      R::integer(
          "failure_max_ttl", [](auto& c) -> auto& { return c.cache.failure_max_ttl; }, 300, 1, 3600,
          "Failure cache: the longest a failure is kept, seconds."),
      R::integer(
          "failure_max_entries", [](auto& c) -> auto& { return c.cache.failure_max_entries; },
          10000, 0, 10'000'000, "Failure cache: LRU bound on entries."),
  };
}

Table<ResolverConfig> make_table() {
  Table<ResolverConfig> t;
  t.sections.push_back(plain_section<ResolverConfig>(
      "dns", "the validating DNS client (libunbound)", dns_rows(), {"stub"}));
  t.sections.push_back(stub_section());
  t.sections.push_back(plain_section<ResolverConfig>("enum", "", {}, {"tree"}));
  t.sections.push_back(array_section(ArraySpec<ResolverConfig, TreeConfig>{
      "enum.tree", "one per ENUM tree (at least one)", tree_rows(), add_tree,
      [](const ResolverConfig& c) -> const std::vector<TreeConfig>& { return c.trees; },
      "at least one ENUM tree must be configured"}));
  t.sections.push_back(plain_section<ResolverConfig>("lookup", "the lookup policy", lookup_rows()));
  t.sections.push_back(
      plain_section<ResolverConfig>("cache", "the result and failure caches", cache_rows()));
  t.check = [](const ResolverConfig& c, const toml::value& root) -> Expected<bool> {
    if (c.cache.failure_min_ttl > c.cache.failure_max_ttl) {
      return setting_error(source_at(root, "cache", "failure_min_ttl"), "[cache]",
                           "failure_min_ttl", "larger than failure_max_ttl");
    }
    return true;
  };
  return t;
}

}  // namespace

const Table<ResolverConfig>& resolver_table() {
  static const Table<ResolverConfig> table = make_table();
  return table;
}

const std::vector<std::string>& resolver_sections() {
  static const std::vector<std::string> sections = resolver_table().top_level();
  return sections;
}

namespace {

// The first byte of `text` that is not part of a valid UTF-8 sequence
// (enum/printable.hpp decodes strictly: no overlong forms, no surrogates,
// nothing above U+10FFFF), if any.
struct BadByte {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string what;  // "byte \xff"
};
std::optional<BadByte> first_invalid_utf8(std::string_view text) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    if (c >= 0x80) {
      std::string what = luf::describe_char(text, i, &length);
      if (length == 1) return BadByte{line, column, std::move(what)};
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace

Expected<std::string> read_config_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(file.string() + ": no such configuration file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) return fail(file.string() + ": cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad() || text.bad()) return fail(file.string() + ": cannot be read");
  return std::move(text).str();
}

Expected<toml::value> parse_toml(const std::string& text, const std::string& name) {
  if (const auto bad = first_invalid_utf8(text)) {
    return fail(name + ":" + std::to_string(bad->line) + ": not UTF-8 (" + bad->what +
                " at column " + std::to_string(bad->column) + "; a TOML file is UTF-8)");
  }
  std::istringstream in(text);
  try {
    return toml::parse(in, name);
  } catch (const std::exception& e) {
    // toml11's messages span several lines with the offending text; keep it.
    return fail(name + ": " + e.what());
  }
}

Expected<toml::value> load_toml(const std::filesystem::path& file) {
  auto text = read_config_file(file);
  if (!text) return fail(text.error());
  return parse_toml(*text, file.string());
}

Expected<ResolverConfig> parse_resolver_config(const toml::value& root,
                                               const std::filesystem::path& base_dir) {
  return resolver_table().parse(root, Context{base_dir});
}

Expected<ResolverConfig> load_resolver_config(const std::filesystem::path& file) {
  auto root = load_toml(file);
  if (!root) return fail(root.error());
  auto cfg = parse_resolver_config(*root, file.parent_path());
  if (!cfg) return fail(in_file(file, cfg.error()));
  return cfg;
}

}  // namespace speerd::config
