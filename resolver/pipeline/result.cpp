#include "resolver/pipeline/result.hpp"

#include <nlohmann/json.hpp>

namespace speerd::pipeline {

using model::Step;
using model::Target;

std::string_view to_string(StoreCheck c) {
  return enum_name(c);
}

namespace {
nlohmann::json outcome_json(const dns::Outcome& o) {
  nlohmann::json j{{"state", dns::to_string(o.state)}};
  if (!o.reason.empty()) j["reason"] = o.reason;
  if (o.ede) j["ede"] = *o.ede;
  return j;
}
}  // namespace

nlohmann::json to_json(const Target& t) {
  return {{"host", t.host},
          {"address", t.address},
          {"port", t.port},
          {"transport", t.transport},
          {"priority", t.priority},
          {"weight", t.weight},
          {"dnssec", outcome_json(t.outcome)}};
}

nlohmann::json to_json(const Step& s, JsonForm form) {
  nlohmann::json j = outcome_json(s.outcome);
  j["name"] = s.name;
  j["type"] = s.type;
  j["result"] = s.result;
  j["ttl"] = s.ttl;
  if (form == JsonForm::full && !s.detail.empty()) j["detail"] = s.detail;
  return j;
}

nlohmann::json to_json(const LookupResult& r, JsonForm form) {
  nlohmann::json j;
  j["verdict"] = to_string(r.verdict);
  j["code"] = to_string(r.code);
  j["reason"] = r.reason;
  if (!r.number.empty()) j["number"] = r.number;
  if (!r.tree.empty()) j["tree"] = r.tree;
  j["uri"] = r.uri;
  j["uris"] = nlohmann::json::array();
  for (const auto& u : r.uris) {
    nlohmann::json uj{{"uri", u.uri},
                      {"order", u.order},
                      {"preference", u.preference},
                      {"service", u.service},
                      {"status", u.status}};
    if (form == JsonForm::full) {
      uj["targets"] = nlohmann::json::array();
      for (const auto& t : u.targets) uj["targets"].push_back(to_json(t));
    }
    j["uris"].push_back(std::move(uj));
  }
  j["targets"] = nlohmann::json::array();
  for (const auto& t : r.targets) j["targets"].push_back(to_json(t));
  j["ttl"] = r.ttl;
  j["outcome"] = outcome_json(r.outcome);
  j["dnssec"] = nlohmann::json::array();
  for (const auto& s : r.dnssec) j["dnssec"].push_back(to_json(s, form));
  nlohmann::json store{{"check", to_string(r.store.check)}};
  if (!r.store.record_id.empty()) store["record"] = r.store.record_id;
  if (!r.store.detail.empty()) store["detail"] = r.store.detail;
  j["store"] = std::move(store);
  j["cached"] = r.cached;
  j["stale"] = r.stale;
  j["failure_cache"] = r.failure_cached;
  j["age"] = r.age;
  return j;
}

}  // namespace speerd::pipeline
