// The Writer's handlers for clients, the peering offers that give them route
// groups, and trust anchors (the class is in sql_store_writer.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include "enum/client_options.hpp"
#include "sed-store/anchor.hpp"
#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/prefix.hpp"
#include "sed-store/sql_store_writer.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

// ---- client ---------------------------------------------------------------

Result<Id> Writer::operator()(const AddClient& c) {
  Client n;
  auto name = checked(validate::name(c.name), "name");
  if (!name) return name.error();
  n.name = *name;
  if (auto ok = client_fields(c.cert_name, c.spki_pin, n); !ok) return ok.error();
  auto trees = normalized_trees(c.trees);
  if (!trees) return trees.error();
  n.trees = std::move(*trees);
  auto sources = normalized_sources(c.sources);
  if (!sources) return sources.error();
  n.sources = std::move(*sources);
  auto keys = normalized_tsig_keys(c.tsig_keys);
  if (!keys) return keys.error();
  n.tsig_keys = std::move(*keys);
  n.tsig_required = c.tsig_required;
  auto rate = client_rate(c.rate_per_second, c.burst);
  if (!rate) return rate.error();
  n.rate = *rate;
  auto options = client_options(c.options);
  if (!options) return options.error();
  n.options = *options;
  n.enabled = c.enabled;
  auto desc = checked(validate::description(c.description), "description");
  if (!desc) return desc.error();
  n.description = *desc;

  auto existing = client_by_name(n.name);
  if (!existing) return existing.error();
  if (*existing) {
    return error(ErrorCode::conflict, "name",
                 "client " + validate::quote(n.name) + " exists already");
  }
  if (auto ok = identity_free(n, 0); !ok) return ok.error();
  const Param params[] = {sv(n.name),
                          opt_text(n.cert_name),
                          opt_text(n.spki_pin),
                          rate_param(n.rate.per_second, n.rate),
                          rate_param(n.rate.burst, n.rate),
                          flag(n.enabled),
                          sv(n.description),
                          sv(n.options),
                          flag(n.tsig_required)};
  auto id = returning_id(Stmt::kClientInsert, params);
  if (!id) return id.error();
  n.id = *id;
  if (auto ok = insert_trees(n.id, n.trees); !ok) return ok.error();
  if (auto ok = insert_sources(n.id, n.sources); !ok) return ok.error();
  if (auto ok = insert_tsig_keys(n.id, n.tsig_keys); !ok) return ok.error();
  if (auto ok = audit("create", "client", n.name, nullptr, to_json(n, false)); !ok)
    return ok.error();
  return n.id;
}

Result<Id> Writer::operator()(const UpdateClient& u) {
  auto before = existing_client(u.name);
  if (!before) return before.error();
  Client n = *before;
  const std::string cert = u.cert_name.value_or(before->cert_name);
  const std::string pin = u.spki_pin.value_or(before->spki_pin);
  if (auto ok = client_fields(cert, pin, n); !ok) return ok.error();
  if (u.trees) {
    auto trees = normalized_trees(*u.trees);
    if (!trees) return trees.error();
    n.trees = std::move(*trees);
  }
  if (u.sources) {
    auto sources = normalized_sources(*u.sources);
    if (!sources) return sources.error();
    n.sources = std::move(*sources);
  }
  if (u.rate_from_config) {
    if (u.rate_per_second || u.burst) {
      return error(ErrorCode::invalid, "rate", "rate from config excludes --rate and --burst");
    }
    n.rate = {};
  } else if (u.rate_per_second) {
    auto rate = client_rate(u.rate_per_second, u.burst);
    if (!rate) return rate.error();
    n.rate = *rate;
  } else if (u.burst) {
    if (n.rate.from_config()) {
      return error(ErrorCode::invalid, "burst",
                   "burst needs a rate: the client follows [limits] (give --rate too)");
    }
    auto burst = rate_value(*u.burst, "burst");
    if (!burst) return burst.error();
    n.rate.burst = *burst;
  }
  if (u.options) {
    auto options = client_options(*u.options);
    if (!options) return options.error();
    n.options = *options;
  }
  if (u.enabled) n.enabled = *u.enabled;
  if (u.tsig_required) n.tsig_required = *u.tsig_required;
  if (u.description) {
    auto desc = checked(validate::description(*u.description), "description");
    if (!desc) return desc.error();
    n.description = *desc;
  }
  const Json before_json = to_json(*before, false);
  // TSIG keys: the JSON names them only, so a key removed and added again
  // (a new secret) looks unchanged there but is not.
  const bool keys_change = !u.add_tsig_keys.empty() || !u.remove_tsig_keys.empty();
  if (keys_change) {
    if (auto ok = update_tsig_keys(u, n); !ok) return ok.error();
  }
  const Json after_json = to_json(n, false);
  if (before_json == after_json && !keys_change) return Id{0};  // nothing to audit
  if (auto ok = identity_free(n, n.id); !ok) return ok.error();
  const Param params[] = {n.id,
                          opt_text(n.cert_name),
                          opt_text(n.spki_pin),
                          rate_param(n.rate.per_second, n.rate),
                          rate_param(n.rate.burst, n.rate),
                          flag(n.enabled),
                          sv(n.description),
                          sv(n.options),
                          flag(n.tsig_required)};
  if (auto ok = exec(Stmt::kClientUpdate, params); !ok) return ok.error();
  if (n.trees != before->trees) {
    const Param clear[] = {n.id};
    if (auto ok = exec(Stmt::kClientTreeClear, clear); !ok) return ok.error();
    if (auto ok = insert_trees(n.id, n.trees); !ok) return ok.error();
  }
  if (n.sources != before->sources) {
    const Param clear[] = {n.id};
    if (auto ok = exec(Stmt::kClientSourceClear, clear); !ok) return ok.error();
    if (auto ok = insert_sources(n.id, n.sources); !ok) return ok.error();
  }
  if (auto ok = audit("update", "client", n.name, before_json, after_json); !ok) return ok.error();
  return Id{0};
}

Result<Id> Writer::operator()(const RemoveClient& r) {
  auto before = existing_client(r.name);
  if (!before) return before.error();
  const Param params[] = {before->id};
  auto offers = count(Stmt::kClientOfferCount, params);
  if (!offers) return offers.error();
  if (*offers > 0) {
    return error(ErrorCode::conflict, "name",
                 "client " + validate::quote(before->name) + " still has " +
                     std::to_string(*offers) + " peering offer(s): remove them first");
  }
  if (auto ok = exec(Stmt::kClientDelete, params); !ok) return ok.error();
  if (auto ok = audit("delete", "client", before->name, to_json(*before, false), nullptr); !ok) {
    return ok.error();
  }
  return Id{0};
}

// ---- peering_offer --------------------------------------------------------

Result<Id> Writer::operator()(const AddOffer& a) {
  auto rg = existing_rg(a.route_group, "route_group");
  if (!rg) return rg.error();
  auto c = existing_client(a.client, "client");
  if (!c) return c.error();
  const Param params[] = {rg->id, c->id};
  auto existing =
      first<Id>(db_, Stmt::kOfferGet, params, [](const Row& r) { return r.integer(0); });
  if (!existing) return existing.error();
  if (*existing) {
    return error(ErrorCode::conflict, "client",
                 "route group " + validate::quote(rg->name) + " is offered to client " +
                     validate::quote(c->name) + " already");
  }
  auto id = returning_id(Stmt::kOfferInsert, params);
  if (!id) return id.error();
  const PeeringOffer o{*id, rg->name, c->name};
  if (auto ok =
          audit("create", "peering_offer", rg->name + "/" + c->name, nullptr, to_json(o, false));
      !ok) {
    return ok.error();
  }
  return *id;
}

Result<Id> Writer::operator()(const RemoveOffer& r) {
  auto rg = existing_rg(r.route_group, "route_group");
  if (!rg) return rg.error();
  auto c = existing_client(r.client, "client");
  if (!c) return c.error();
  const Param params[] = {rg->id, c->id};
  auto existing =
      first<Id>(db_, Stmt::kOfferGet, params, [](const Row& row) { return row.integer(0); });
  if (!existing) return existing.error();
  if (!*existing) {
    return error(ErrorCode::not_found, "client",
                 "route group " + validate::quote(rg->name) + " is not offered to client " +
                     validate::quote(c->name));
  }
  const Param id_params[] = {**existing};
  if (auto ok = exec(Stmt::kOfferDelete, id_params); !ok) return ok.error();
  const PeeringOffer o{**existing, rg->name, c->name};
  if (auto ok =
          audit("delete", "peering_offer", rg->name + "/" + c->name, to_json(o, false), nullptr);
      !ok) {
    return ok.error();
  }
  return Id{0};
}

// ---- trust_anchor ---------------------------------------------------------

Result<Id> Writer::operator()(const AddTrustAnchor& a) {
  auto zone = checked(validate::domain(a.zone, /*allow_root=*/true), "zone");
  if (!zone) return zone.error();
  auto parsed = parse_trust_anchor(*zone, a.rr);
  if (!parsed) return error(ErrorCode::invalid, "rr", "rr: " + parsed.error());
  const Param by_rr[] = {sv(parsed->rr)};
  auto existing = first<TrustAnchor>(db_, Stmt::kTaByRr, by_rr, read_trust_anchor);
  if (!existing) return existing.error();
  if (*existing) {
    return error(
        ErrorCode::conflict, "rr",
        "this trust anchor is stored already (id " + std::to_string((*existing)->id) + ")");
  }
  TrustAnchor t;
  t.zone = parsed->zone;
  t.kind = parsed->kind;
  t.rr = parsed->rr;
  t.key_tag = parsed->key_tag;
  t.state = a.state;
  t.added_by = actor_;
  t.added_at = at_;
  const std::string kind = str(to_string(t.kind));
  const std::string state = str(to_string(t.state));
  const Param params[] = {sv(t.zone), sv(kind),       sv(t.rr),      std::int64_t{t.key_tag},
                          sv(state),  sv(t.added_by), sv(t.added_at)};
  auto id = returning_id(Stmt::kTaInsert, params);
  if (!id) return id.error();
  t.id = *id;
  if (auto ok = audit("create", "trust_anchor", std::to_string(t.id), nullptr, to_json(t)); !ok) {
    return ok.error();
  }
  return t.id;
}

Result<Id> Writer::operator()(const SetTrustAnchorState& s) {
  auto before = existing_anchor(s.id);
  if (!before) return before.error();
  if (before->state == s.state) return Id{0};
  TrustAnchor after = *before;
  after.state = s.state;
  const std::string state = str(to_string(s.state));
  const Param params[] = {s.id, sv(state)};
  if (auto ok = exec(Stmt::kTaSetState, params); !ok) return ok.error();
  if (auto ok =
          audit("update", "trust_anchor", std::to_string(s.id), to_json(*before), to_json(after));
      !ok) {
    return ok.error();
  }
  return Id{0};
}

Result<Id> Writer::operator()(const RemoveTrustAnchor& r) {
  auto before = existing_anchor(r.id);
  if (!before) return before.error();
  const Param params[] = {r.id};
  if (auto ok = exec(Stmt::kTaDelete, params); !ok) return ok.error();
  if (auto ok = audit("delete", "trust_anchor", std::to_string(r.id), to_json(*before), nullptr);
      !ok) {
    return ok.error();
  }
  return Id{0};
}

// ---- helpers --------------------------------------------------------------

// cert_name/spki_pin validated into n; at least one must be set.
Result<Done> Writer::client_fields(const std::string& cert, const std::string& pin, Client& n) {
  n.cert_name.clear();
  n.spki_pin.clear();
  if (!cert.empty()) {
    auto v = checked(validate::cert_name(cert), "cert_name");
    if (!v) return v.error();
    n.cert_name = *v;
  }
  if (!pin.empty()) {
    auto v = checked(validate::spki_pin(pin), "spki_pin");
    if (!v) return v.error();
    n.spki_pin = *v;
  }
  if (n.cert_name.empty() && n.spki_pin.empty()) {
    return error(ErrorCode::invalid, "cert_name",
                 "a client needs a certificate name or a SPKI pin (or both)");
  }
  return Done{};
}

// No other client may have the same certificate name or pin.
Result<Done> Writer::identity_free(const Client& n, Id self) {
  if (!n.cert_name.empty()) {
    const Param p[] = {sv(n.cert_name)};
    auto other = first<Client>(db_, Stmt::kClientByCert, p, read_client);
    if (!other) return other.error();
    if (*other && (*other)->id != self) {
      return error(ErrorCode::conflict, "cert_name",
                   "certificate name " + validate::quote(n.cert_name) + " belongs to client " +
                       validate::quote((*other)->name) + " already");
    }
  }
  if (!n.spki_pin.empty()) {
    const Param p[] = {sv(n.spki_pin)};
    auto other = first<Client>(db_, Stmt::kClientByPin, p, read_client);
    if (!other) return other.error();
    if (*other && (*other)->id != self) {
      return error(ErrorCode::conflict, "spki_pin",
                   "SPKI pin belongs to client " + validate::quote((*other)->name) + " already");
    }
  }
  return Done{};
}

Result<std::vector<std::string>> Writer::normalized_trees(const std::vector<std::string>& trees) {
  if (trees.size() > kMaxTreesPerClient) {
    return error(ErrorCode::invalid, "trees",
                 "trees: at most " + std::to_string(kMaxTreesPerClient) + " ENUM trees per client");
  }
  std::vector<std::string> out;
  for (const auto& t : trees) {
    auto d = checked(validate::domain(t), "trees");
    if (!d) return d.error();
    out.push_back(*d);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<RateLimit> Writer::client_rate(std::optional<std::uint32_t> rate,
                                      std::optional<std::uint32_t> burst) {
  if (!rate) {
    if (burst) {
      return error(ErrorCode::invalid, "burst",
                   "burst needs a rate (without both, the client follows [limits])");
    }
    return RateLimit{};
  }
  auto r = rate_value(*rate, "rate");
  if (!r) return r.error();
  // Twice the rate by default, as [limits] rate_burst is by default.
  const auto b = rate_value(burst.value_or(std::min(*r * 2, kMaxBurst)), "burst");
  if (!b) return b.error();
  return RateLimit{*r, *b};
}

Result<std::string> Writer::client_options(const std::string& text) {
  auto o = luf::parse_options(text);
  if (!o) return error(ErrorCode::invalid, "options", "options: " + o.error());
  return luf::to_text(*o);
}

Result<std::vector<std::string>> Writer::normalized_sources(
    const std::vector<std::string>& sources) {
  if (sources.size() > kMaxSourcesPerClient) {
    return error(
        ErrorCode::invalid, "sources",
        "sources: at most " + std::to_string(kMaxSourcesPerClient) + " source prefixes per client");
  }
  std::vector<std::string> out;
  for (const auto& s : sources) {
    auto p = parse_source_prefix(s);
    if (!p) return error(ErrorCode::invalid, "sources", "sources: " + p.error());
    out.push_back(p->text());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<Done> Writer::insert_sources(Id client, const std::vector<std::string>& sources) {
  for (const auto& s : sources) {
    // A prefix names one client: the front end could not tell two apart.
    const Param q[] = {sv(s), client};
    auto owner = first<std::string>(db_, Stmt::kClientSourceOwner, q,
                                    [](const Row& r) { return str(r.text(0)); });
    if (!owner) return owner.error();
    if (*owner) {
      return error(ErrorCode::conflict, "sources",
                   "source prefix " + s + " belongs to client " + validate::quote(**owner));
    }
    const Param p[] = {client, sv(s)};
    if (auto ok = exec(Stmt::kClientSourceInsert, p); !ok) return ok.error();
  }
  return Done{};
}

Result<std::uint32_t> Writer::rate_value(std::uint32_t v, const char* field) {
  const std::uint32_t max = std::string_view(field) == "rate" ? kMaxRatePerSecond : kMaxBurst;
  if (v < 1 || v > max) {
    return error(ErrorCode::invalid, field,
                 std::string(field) + " " + std::to_string(v) + " is out of range (1-" +
                     std::to_string(max) + ")");
  }
  return v;
}

Result<Done> Writer::insert_trees(Id client, const std::vector<std::string>& trees) {
  for (const auto& t : trees) {
    const Param p[] = {client, sv(t)};
    if (auto ok = exec(Stmt::kClientTreeInsert, p); !ok) return ok.error();
  }
  return Done{};
}

Result<std::optional<Client>> Writer::client_by_name(const std::string& name) {
  const Param p[] = {sv(name)};
  auto c = first<Client>(db_, Stmt::kClientByName, p, read_client);
  if (!c || !*c) return c;
  const Param tp[] = {(*c)->id};
  auto trees = collect<std::string>(db_, Stmt::kClientTrees, tp,
                                    [](const Row& r) { return str(r.text(0)); });
  if (!trees) return trees.error();
  (*c)->trees = std::move(*trees);
  auto sources = collect<std::string>(db_, Stmt::kClientSources, tp,
                                      [](const Row& r) { return str(r.text(0)); });
  if (!sources) return sources.error();
  (*c)->sources = std::move(*sources);
  auto keys = collect<TsigKey>(db_, Stmt::kClientTsigKeys, tp, read_tsig_key);
  if (!keys) return keys.error();
  (*c)->tsig_keys = std::move(*keys);
  return c;
}

Result<Client> Writer::existing_client(const std::string& raw, const char* field) {
  auto name = checked(validate::name(raw), field);
  if (!name) return name.error();
  auto c = client_by_name(*name);
  if (!c) return c.error();
  if (!*c) return error(ErrorCode::not_found, field, "no client " + validate::quote(*name));
  return std::move(**c);
}

Result<TrustAnchor> Writer::existing_anchor(Id id) {
  const Param p[] = {id};
  auto t = first<TrustAnchor>(db_, Stmt::kTaById, p, read_trust_anchor);
  if (!t) return t.error();
  if (!*t) return error(ErrorCode::not_found, "id", "no trust anchor " + std::to_string(id));
  return std::move(**t);
}

// ---- cache flush ------------------------------------------------------------

Result<Id> Writer::operator()(const FlushCache& f) {
  std::string key;
  if (!f.target.empty() && f.target[0] == '+') {
    auto d = checked(validate::digits(std::string_view(f.target).substr(1)), "target");
    if (!d) return d.error();
    key = "+" + *d;
  } else {
    auto z = checked(validate::domain(f.target), "target");
    if (!z) return z.error();
    key = *z;
  }
  if (auto ok = audit("update", "cache", key, nullptr, Json{{"flush", key}}); !ok) {
    return ok.error();
  }
  return Id{0};
}

}  // namespace speerd::store::detail
