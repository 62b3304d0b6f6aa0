// The Writer's handlers for route groups, the destination groups they serve,
// and their SED records (the class is in sql_store_writer.hpp).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/sql_store_writer.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

// ---- route_group ----------------------------------------------------------

Result<Id> Writer::operator()(const AddRouteGroup& a) {
  RouteGroup g;
  auto name = checked(validate::name(a.name), "name");
  if (!name) return name.error();
  g.name = *name;
  auto prio = checked(validate::priority(a.priority), "priority");
  if (!prio) return prio.error();
  g.priority = *prio;
  g.enabled = a.enabled;
  auto desc = checked(validate::description(a.description), "description");
  if (!desc) return desc.error();
  g.description = *desc;
  if (a.destination_groups.size() > kMaxDestGroupsPerRouteGroup) {
    return error(ErrorCode::invalid, "dest_groups", "dest_groups: too many destination groups");
  }
  std::vector<std::pair<std::string, Id>> dests;
  for (const auto& d : a.destination_groups) {
    auto dn = checked(validate::name(d), "dest_groups");
    if (!dn) return dn.error();
    auto id = dg_id(*dn, "dest_groups");
    if (!id) return id.error();
    dests.emplace_back(*dn, *id);
  }
  std::sort(dests.begin(), dests.end());
  dests.erase(std::unique(dests.begin(), dests.end()), dests.end());
  for (const auto& d : dests) g.destination_groups.push_back(d.first);
  auto existing = rg_by_name(g.name);
  if (!existing) return existing.error();
  if (*existing) {
    return error(ErrorCode::conflict, "name",
                 "route group " + validate::quote(g.name) + " exists already");
  }
  const Param params[] = {sv(g.name), std::int64_t{g.priority}, flag(g.enabled), sv(g.description)};
  auto id = returning_id(Stmt::kRgInsert, params);
  if (!id) return id.error();
  g.id = *id;
  for (const auto& d : dests) {
    const Param link[] = {d.second, g.id};
    if (auto ok = exec(Stmt::kRgDestInsert, link); !ok) return ok.error();
  }
  if (auto ok = audit("create", "route_group", g.name, nullptr, to_json(g, false)); !ok) {
    return ok.error();
  }
  return g.id;
}

Result<Id> Writer::operator()(const UpdateRouteGroup& u) {
  auto before = existing_rg(u.name, "name");
  if (!before) return before.error();
  RouteGroup n = *before;
  if (u.priority) {
    auto prio = checked(validate::priority(*u.priority), "priority");
    if (!prio) return prio.error();
    n.priority = *prio;
  }
  if (u.enabled) n.enabled = *u.enabled;
  if (u.description) {
    auto desc = checked(validate::description(*u.description), "description");
    if (!desc) return desc.error();
    n.description = *desc;
  }
  const Json before_json = to_json(*before, false);
  const Json after_json = to_json(n, false);
  if (before_json == after_json) return Id{0};
  const Param params[] = {n.id, std::int64_t{n.priority}, flag(n.enabled), sv(n.description)};
  if (auto ok = exec(Stmt::kRgUpdate, params); !ok) return ok.error();
  if (auto ok = audit("update", "route_group", n.name, before_json, after_json); !ok) {
    return ok.error();
  }
  return Id{0};
}

Result<Id> Writer::operator()(const RemoveRouteGroup& r) {
  auto before = existing_rg(r.name, "name");
  if (!before) return before.error();
  const Param params[] = {before->id};
  auto sed = count(Stmt::kRgSedCount, params);
  if (!sed) return sed.error();
  if (*sed > 0) {
    return error(ErrorCode::conflict, "name",
                 "route group " + validate::quote(before->name) + " still has " +
                     std::to_string(*sed) + " SED record(s): remove them first");
  }
  auto offers = count(Stmt::kRgOfferCount, params);
  if (!offers) return offers.error();
  if (*offers > 0) {
    return error(ErrorCode::conflict, "name",
                 "route group " + validate::quote(before->name) + " is still offered to " +
                     std::to_string(*offers) + " client(s): remove the offers first");
  }
  if (auto ok = exec(Stmt::kRgDelete, params); !ok) return ok.error();
  if (auto ok = audit("delete", "route_group", before->name, to_json(*before, false), nullptr);
      !ok) {
    return ok.error();
  }
  return Id{0};
}

Result<Id> Writer::operator()(const AttachDestination& a) {
  return link(a.route_group, a.destination_group, true);
}

Result<Id> Writer::operator()(const DetachDestination& d) {
  return link(d.route_group, d.destination_group, false);
}

// ---- sed_record -----------------------------------------------------------

Result<Id> Writer::operator()(const AddSed& a) {
  auto rg = existing_rg(a.route_group, "route_group");
  if (!rg) return rg.error();
  SedRecord s;
  s.route_group_id = rg->id;
  s.route_group = rg->name;
  s.route_group_priority = rg->priority;
  auto prio = checked(validate::priority(a.priority), "priority");
  if (!prio) return prio.error();
  s.priority = *prio;
  if (!a.uri.empty()) {
    if (!a.host.empty() || !a.port.empty() || !a.transport.empty()) {
      return error(ErrorCode::invalid, "host",
                   "give either a uri, or a host with optional port and transport, not both");
    }
    auto uri = checked(validate::sip_uri(a.uri), "uri");
    if (!uri) return uri.error();
    s.kind = SedKind::uri;
    s.uri = uri->uri;
    s.host = uri->host;
    s.port = uri->port;
    s.transport = uri->transport;
  } else {
    if (a.host.empty()) {
      return error(ErrorCode::invalid, "host", "a SED record needs a uri or a host");
    }
    auto host = checked(validate::host(a.host), "host");
    if (!host) return host.error();
    auto port = checked(validate::port(a.port), "port");
    if (!port) return port.error();
    auto transport = checked(validate::transport(a.transport), "transport");
    if (!transport) return transport.error();
    s.kind = SedKind::next_hop;
    s.host = *host;
    s.port = *port;
    s.transport = *transport;
  }
  const Param same[] = {s.route_group_id, sv(s.uri), sv(s.host), std::int64_t{s.port},
                        sv(s.transport)};
  auto existing =
      first<Id>(db_, Stmt::kSedFindSame, same, [](const Row& r) { return r.integer(0); });
  if (!existing) return existing.error();
  if (*existing) {
    return error(ErrorCode::conflict, s.kind == SedKind::uri ? "uri" : "host",
                 "route group " + validate::quote(s.route_group) +
                     " has this SED record already (id " + std::to_string(**existing) + ")");
  }
  const std::string kind = str(to_string(s.kind));
  const Param params[] = {s.route_group_id,
                          sv(kind),
                          sv(s.uri),
                          sv(s.host),
                          std::int64_t{s.port},
                          sv(s.transport),
                          std::int64_t{s.priority}};
  auto id = returning_id(Stmt::kSedInsert, params);
  if (!id) return id.error();
  s.id = *id;
  if (auto ok = audit("create", "sed_record", std::to_string(s.id), nullptr, to_json(s)); !ok) {
    return ok.error();
  }
  return s.id;
}

Result<Id> Writer::operator()(const RemoveSed& r) {
  const Param params[] = {r.id};
  auto s = first<SedRecord>(db_, Stmt::kSedById, params, read_sed);
  if (!s) return s.error();
  if (!*s) return error(ErrorCode::not_found, "id", "no SED record " + std::to_string(r.id));
  if (auto ok = exec(Stmt::kSedDelete, params); !ok) return ok.error();
  if (auto ok = audit("delete", "sed_record", std::to_string(r.id), to_json(**s), nullptr); !ok) {
    return ok.error();
  }
  return Id{0};
}

// ---- helpers --------------------------------------------------------------

Result<std::optional<RouteGroup>> Writer::rg_by_name(const std::string& name) {
  const Param p[] = {sv(name)};
  auto g = first<RouteGroup>(db_, Stmt::kRgByName, p, read_route_group);
  if (!g || !*g) return g;
  const Param dp[] = {(*g)->id};
  auto dests =
      collect<std::string>(db_, Stmt::kRgDests, dp, [](const Row& r) { return str(r.text(0)); });
  if (!dests) return dests.error();
  (*g)->destination_groups = std::move(*dests);
  return g;
}

Result<RouteGroup> Writer::existing_rg(const std::string& raw, const char* field) {
  auto name = checked(validate::name(raw), field);
  if (!name) return name.error();
  auto g = rg_by_name(*name);
  if (!g) return g.error();
  if (!*g) return error(ErrorCode::not_found, field, "no route group " + validate::quote(*name));
  return std::move(**g);
}

Result<Id> Writer::link(const std::string& rg_name, const std::string& dg_name, bool attach) {
  auto rg = existing_rg(rg_name, "route_group");
  if (!rg) return rg.error();
  auto dn = checked(validate::name(dg_name), "dest_group");
  if (!dn) return dn.error();
  auto dg = dg_id(*dn, "dest_group");
  if (!dg) return dg.error();
  const Param params[] = {*dg, rg->id};
  auto exists = count_rows(Stmt::kRgDestExists, params);
  if (!exists) return exists.error();
  const Json j = {{"route_group", rg->name}, {"dest_group", *dn}};
  const std::string key = rg->name + "/" + *dn;
  if (attach) {
    if (*exists > 0) {
      return error(ErrorCode::conflict, "dest_group",
                   "route group " + validate::quote(rg->name) + " serves destination group " +
                       validate::quote(*dn) + " already");
    }
    if (auto ok = exec(Stmt::kRgDestInsert, params); !ok) return ok.error();
    if (auto ok = audit("create", "route_group_destination", key, nullptr, j); !ok)
      return ok.error();
  } else {
    if (*exists == 0) {
      return error(ErrorCode::not_found, "dest_group",
                   "route group " + validate::quote(rg->name) +
                       " does not serve destination group " + validate::quote(*dn));
    }
    if (auto ok = exec(Stmt::kRgDestDelete, params); !ok) return ok.error();
    if (auto ok = audit("delete", "route_group_destination", key, j, nullptr); !ok)
      return ok.error();
  }
  return Id{0};
}

}  // namespace speerd::store::detail
