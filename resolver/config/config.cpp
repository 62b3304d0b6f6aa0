#include "resolver/config/config.hpp"

#include "enum/enumservice.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace speerd::config {

namespace {

// Reads one table's keys, checking types; remembers what it consumed so the
// caller can reject the rest as unknown.
class TableReader {
 public:
  TableReader(const toml::value& v, std::string where) : where_(std::move(where)) {
    if (v.is_table()) table_ = &v.as_table();
  }
  bool ok() const { return table_ != nullptr; }
  const std::string& where() const { return where_; }

  template <typename F>
  Expected<bool> str(const std::string& key, F&& set) {
    const toml::value* v = take(key);
    if (v == nullptr) return false;
    if (!v->is_string()) return fail(where_ + "." + key + ": expected a string");
    set(static_cast<const std::string&>(v->as_string().str));
    return true;
  }
  Expected<bool> boolean(const std::string& key, bool& out) {
    const toml::value* v = take(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) return fail(where_ + "." + key + ": expected true or false");
    out = v->as_boolean();
    return true;
  }
  template <typename T>
  Expected<bool> integer(const std::string& key, T& out, std::int64_t lo, std::int64_t hi) {
    const toml::value* v = take(key);
    if (v == nullptr) return false;
    if (!v->is_integer()) return fail(where_ + "." + key + ": expected an integer");
    const auto n = v->as_integer();
    if (n < lo || n > hi) {
      return fail(where_ + "." + key + ": " + std::to_string(n) + " is out of range [" +
                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    out = static_cast<T>(n);
    return true;
  }
  Expected<bool> strings(const std::string& key, std::vector<std::string>& out) {
    const toml::value* v = take(key);
    if (v == nullptr) return false;
    if (!v->is_array()) return fail(where_ + "." + key + ": expected an array of strings");
    out.clear();
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) return fail(where_ + "." + key + ": expected an array of strings");
      out.push_back(e.as_string().str);
    }
    return true;
  }
  const toml::value* take(const std::string& key) {
    if (table_ == nullptr) return nullptr;
    auto it = table_->find(key);
    if (it == table_->end()) return nullptr;
    seen_.insert(key);
    return &it->second;
  }
  // Fails on the first key that was not read.
  Expected<bool> no_unknown_keys() const {
    if (table_ == nullptr) return true;
    std::vector<std::string> keys;
    for (const auto& [k, _] : *table_) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      if (!seen_.contains(k)) return fail(where_ + ": unknown key '" + k + "'");
    }
    return true;
  }

 private:
  const toml::table* table_ = nullptr;
  std::string where_;
  std::set<std::string> seen_;
};

#define SPEERD_TRY(expr)              \
  do {                                \
    auto r_ = (expr);                 \
    if (!r_) return fail(r_.error()); \
  } while (0)

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

std::string resolve_path(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path fp(p);
  return (fp.is_absolute() ? fp : base / fp).lexically_normal().string();
}

Expected<bool> check_server(const std::string& where, const std::string& s) {
  // "IP" or "IP@port": libunbound's own syntax for stub addresses.
  const auto at = s.find('@');
  const std::string ip = s.substr(0, at);
  if (ip.empty() || ip.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos) {
    return fail(where + ": '" + s + "' is not an IP address (optionally @port)");
  }
  if (at != std::string::npos) {
    const std::string port = s.substr(at + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535) {
      return fail(where + ": '" + s + "' has a bad port");
    }
  }
  return true;
}

Expected<bool> parse_dns(const toml::value& root, const std::filesystem::path& base,
                         ResolverConfig& cfg) {
  const toml::value* dns = nullptr;
  if (root.is_table() && root.as_table().count("dns")) dns = &root.as_table().at("dns");
  if (dns == nullptr) return true;
  if (!dns->is_table()) return fail("[dns]: expected a table");
  TableReader t(*dns, "[dns]");
  std::vector<std::string> files;
  if (auto r = t.strings("trust_anchor_files", files); !r) return fail(r.error());
  for (const auto& f : files) cfg.dns.trust_anchor_files.push_back(resolve_path(base, f));
  SPEERD_TRY(t.strings("trust_anchors", cfg.dns.trust_anchors));
  SPEERD_TRY(t.boolean("qname_minimisation", cfg.dns.qname_minimisation));
  std::int64_t timeout_ms = cfg.dns.query_timeout.count();
  SPEERD_TRY(t.integer("query_timeout_ms", timeout_ms, 100, 60000));
  cfg.dns.query_timeout = std::chrono::milliseconds(timeout_ms);
  if (const toml::value* stubs = t.take("stub")) {
    if (!stubs->is_array()) return fail("[[dns.stub]]: expected an array of tables");
    std::size_t i = 0;
    for (const auto& s : stubs->as_array()) {
      TableReader st(s, "[[dns.stub]] #" + std::to_string(++i));
      if (!st.ok()) return fail(st.where() + ": expected a table");
      dns::StubZone z;
      SPEERD_TRY(st.str("zone", [&](const std::string& v) { z.zone = fqdn_lower(v); }));
      SPEERD_TRY(st.strings("servers", z.servers));
      SPEERD_TRY(st.no_unknown_keys());
      if (z.zone.empty() || !valid_domain(z.zone))
        return fail(st.where() + ".zone: missing or not a domain name");
      if (z.servers.empty()) return fail(st.where() + ".servers: at least one server is needed");
      for (const auto& srv : z.servers) SPEERD_TRY(check_server(st.where() + ".servers", srv));
      cfg.dns.stubs.push_back(std::move(z));
    }
  }
  return t.no_unknown_keys();
}

Expected<bool> parse_trees(const toml::value& root, const std::filesystem::path& base,
                           ResolverConfig& cfg) {
  if (!root.is_table() || !root.as_table().count("enum")) {
    return fail("[[enum.tree]]: at least one ENUM tree must be configured");
  }
  TableReader e(root.as_table().at("enum"), "[enum]");
  if (!e.ok()) return fail("[enum]: expected a table");
  const toml::value* trees = e.take("tree");
  SPEERD_TRY(e.no_unknown_keys());
  if (trees == nullptr || !trees->is_array() || trees->as_array().empty()) {
    return fail("[[enum.tree]]: at least one ENUM tree must be configured");
  }
  std::set<std::string> names;
  std::size_t i = 0;
  for (const auto& tv : trees->as_array()) {
    TableReader t(tv, "[[enum.tree]] #" + std::to_string(++i));
    if (!t.ok()) return fail(t.where() + ": expected a table");
    TreeConfig tree;
    SPEERD_TRY(t.str("name", [&](const std::string& v) { tree.name = v; }));
    SPEERD_TRY(t.str("suffix", [&](const std::string& v) { tree.suffix = fqdn_lower(v); }));
    std::string policy = "require-secure";
    SPEERD_TRY(t.str("policy", [&](const std::string& v) { policy = v; }));
    SPEERD_TRY(t.strings("servers", tree.servers));
    SPEERD_TRY(t.str("service", [&](const std::string& v) { tree.service = v; }));
    if (!tree.service.empty()) {
      if (auto s = luf::parse_enumservice(tree.service); !s) {
        return fail(t.where() + ".service: " + s.error());
      }
    }
    std::vector<std::string> files;
    SPEERD_TRY(t.strings("trust_anchor_files", files));
    for (const auto& f : files) tree.trust_anchor_files.push_back(resolve_path(base, f));
    SPEERD_TRY(t.no_unknown_keys());
    if (tree.suffix.empty() || !valid_domain(tree.suffix)) {
      return fail(t.where() + ".suffix: missing or not a domain name");
    }
    if (tree.name.empty()) tree.name = tree.suffix;
    if (!names.insert(tree.name).second)
      return fail(t.where() + ".name: '" + tree.name + "' is used twice");
    if (policy == "require-secure") {
      tree.policy = TreePolicy::require_secure;
    } else if (policy == "allow-insecure") {
      tree.policy = TreePolicy::allow_insecure;
    } else {
      return fail(t.where() + ".policy: '" + policy +
                  "' is not one of require-secure, allow-insecure");
    }
    for (const auto& srv : tree.servers) SPEERD_TRY(check_server(t.where() + ".servers", srv));
    if (!tree.servers.empty()) cfg.dns.stubs.push_back({tree.suffix, tree.servers});
    for (const auto& f : tree.trust_anchor_files) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(f, ec)) {
        return fail(t.where() + ".trust_anchor_files: '" + f + "' does not exist or is not a file");
      }
    }
    cfg.trees.push_back(std::move(tree));
  }
  return true;
}

Expected<bool> parse_lookup(const toml::value& root, ResolverConfig& cfg) {
  if (!root.is_table() || !root.as_table().count("lookup")) return true;
  TableReader t(root.as_table().at("lookup"), "[lookup]");
  if (!t.ok()) return fail("[lookup]: expected a table");
  SPEERD_TRY(t.str("service", [&](const std::string& v) { cfg.lookup.service = v; }));
  if (auto s = luf::parse_enumservice(cfg.lookup.service); !s) {
    return fail("[lookup].service: " + s.error());
  }
  SPEERD_TRY(t.integer("max_nonterminal_hops", cfg.lookup.max_nonterminal_hops, 0, 16));
  std::string sp;
  SPEERD_TRY(t.str("store_policy", [&](const std::string& v) { sp = v; }));
  if (sp == "strict") {
    cfg.lookup.store_policy = StorePolicy::strict;
  } else if (sp == "advisory") {
    cfg.lookup.store_policy = StorePolicy::advisory;
  } else if (sp == "store-authoritative") {
    cfg.lookup.store_policy = StorePolicy::store_authoritative;
  } else if (!sp.empty()) {
    return fail("[lookup].store_policy: '" + sp +
                "' is not one of strict, advisory, store-authoritative");
  }
  SPEERD_TRY(t.boolean("allow_insecure_targets", cfg.lookup.allow_insecure_targets));
  SPEERD_TRY(t.boolean("allow_ip_literal_targets", cfg.lookup.allow_ip_literal_targets));
  std::string np;
  SPEERD_TRY(t.str("number_portability", [&](const std::string& v) { np = v; }));
  if (np == "ignore") {
    cfg.lookup.route_ported_by_rn = false;
  } else if (!np.empty() && np != "route-by-rn") {
    return fail("[lookup].number_portability: '" + np + "' is not one of route-by-rn, ignore");
  }
  return t.no_unknown_keys();
}

Expected<bool> parse_cache(const toml::value& root, ResolverConfig& cfg) {
  if (!root.is_table() || !root.as_table().count("cache")) return true;
  TableReader t(root.as_table().at("cache"), "[cache]");
  if (!t.ok()) return fail("[cache]: expected a table");
  auto& c = cfg.cache;
  SPEERD_TRY(t.integer("max_entries", c.max_entries, 0, 100'000'000));
  SPEERD_TRY(t.integer("max_bytes", c.max_bytes, 0, std::int64_t{64} << 30));
  SPEERD_TRY(t.integer("max_ttl", c.max_ttl, 0, 7 * 86400));
  SPEERD_TRY(t.integer("negative_max_ttl", c.negative_max_ttl, 0, 86400));
  SPEERD_TRY(t.integer("stale_window", c.stale_window, 0, 86400));
  SPEERD_TRY(t.integer("failure_min_ttl", c.failure_min_ttl, 0, 3600));
  SPEERD_TRY(t.integer("failure_max_ttl", c.failure_max_ttl, 1, 3600));
  SPEERD_TRY(t.integer("failure_max_entries", c.failure_max_entries, 0, 10'000'000));
  if (c.failure_min_ttl > c.failure_max_ttl) {
    return fail("[cache] failure_min_ttl: larger than failure_max_ttl");
  }
  return t.no_unknown_keys();
}

}  // namespace

const std::vector<std::string>& resolver_sections() {
  static const std::vector<std::string> kSections{"dns", "enum", "lookup", "cache"};
  return kSections;
}

Expected<toml::value> load_toml(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(file.string() + ": no such configuration file");
  }
  try {
    return toml::parse(file.string());
  } catch (const std::exception& e) {
    // toml11's messages span several lines with the offending text; keep it.
    return fail(file.string() + ": " + e.what());
  }
}

Expected<ResolverConfig> parse_resolver_config(const toml::value& root,
                                               const std::filesystem::path& base_dir) {
  ResolverConfig cfg;
  SPEERD_TRY(parse_dns(root, base_dir, cfg));
  SPEERD_TRY(parse_trees(root, base_dir, cfg));
  SPEERD_TRY(parse_lookup(root, cfg));
  SPEERD_TRY(parse_cache(root, cfg));
  for (const auto& f : cfg.dns.trust_anchor_files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec)) {
      return fail("trust anchor file '" + f + "' does not exist or is not a file");
    }
  }
  return cfg;
}

Expected<ResolverConfig> load_resolver_config(const std::filesystem::path& file) {
  auto root = load_toml(file);
  if (!root) return fail(root.error());
  auto cfg = parse_resolver_config(*root, file.parent_path());
  if (!cfg) return fail(file.string() + ": " + cfg.error());
  return cfg;
}

}  // namespace speerd::config
