#include "resolver/daemon/config.hpp"

#include <algorithm>
#include <map>

namespace speerd::daemon {
namespace {

std::string resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

Expected<bool> check_sections(const toml::value& root) {
  if (!root.is_table()) return fail("not a TOML table");
  std::map<std::string, const toml::value*> keys;  // sorted: the first error is stable
  for (const auto& [k, v] : root.as_table()) keys[k] = &v;
  const auto& mine = service::server_sections();
  const auto& resolver = config::resolver_sections();
  for (const auto& [k, v] : keys) {
    const bool known = std::find(mine.begin(), mine.end(), k) != mine.end() ||
                       std::find(resolver.begin(), resolver.end(), k) != resolver.end();
    if (!known) return fail(config::source_of(*v) + "[" + k + "]: unknown section");
  }
  return true;
}

}  // namespace

Expected<std::shared_ptr<const Config>> load_config(const std::filesystem::path& file) {
  auto text = config::read_config_file(file);
  if (!text) return fail(text.error());
  return load_config_text(*text, file);
}

Expected<std::shared_ptr<const Config>> load_config_text(const std::string& text,
                                                         const std::filesystem::path& file) {
  auto root = config::parse_toml(text, file.string());
  if (!root) return fail(root.error());
  const auto base = file.parent_path();
  auto named = [&](const std::string& e) { return fail(config::in_file(file, e)); };
  if (auto r = check_sections(*root); !r) return named(r.error());
  auto srv = service::parse_server_config(*root);
  if (!srv) return named(srv.error());
  auto res = config::parse_resolver_config(*root, base);
  if (!res) return named(res.error());

  auto c = std::make_shared<Config>();
  c->file = file;
  c->server = std::move(*srv);
  c->resolver = std::move(*res);
  auto& tls = c->server.tls;
  tls.certificate = resolve(base, tls.certificate);
  tls.private_key = resolve(base, tls.private_key);
  tls.client_ca = resolve(base, tls.client_ca);
  for (auto& f : tls.crls) f = resolve(base, f);
  c->server.log.file = resolve(base, c->server.log.file);
  toml::table resolver_part;
  for (const auto& k : config::resolver_sections()) {
    if (root->as_table().count(k)) resolver_part[k] = root->as_table().at(k);
  }
  c->resolver_toml = toml::value(resolver_part);
  return std::shared_ptr<const Config>(std::move(c));
}

}  // namespace speerd::daemon
