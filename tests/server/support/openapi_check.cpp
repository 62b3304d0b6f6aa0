#include "tests/server/support/openapi_check.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace speerd::test {

using nlohmann::json;

std::string openapi_json_path() {
  const char* b = std::getenv("SPEERD_BINARY_DIR");
  if (!b) throw std::runtime_error("SPEERD_BINARY_DIR not set");
  return std::string(b) + "/tests/server/openapi.json";
}

OpenApi OpenApi::load(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  return OpenApi(json::parse(in));
}

const json& OpenApi::resolve(const json& maybe_ref) const {
  const json* j = &maybe_ref;
  for (int depth = 0; j->is_object() && j->contains("$ref") && depth < 16; ++depth) {
    const std::string ref = (*j)["$ref"].get<std::string>();
    if (ref.rfind("#/", 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
    j = &doc_.at(json::json_pointer(ref.substr(1)));
  }
  return *j;
}

std::vector<std::string> OpenApi::check(const json& schema_in, const json& v,
                                        const std::string& where) const {
  std::vector<std::string> errs;
  const json& s = resolve(schema_in);
  auto err = [&](const std::string& e) { errs.push_back(where + ": " + e); };
  if (s.contains("type")) {
    const std::string t = s["type"];
    const bool ok = (t == "object" && v.is_object()) || (t == "array" && v.is_array()) ||
                    (t == "string" && v.is_string()) || (t == "boolean" && v.is_boolean()) ||
                    (t == "integer" && v.is_number_integer()) || (t == "number" && v.is_number());
    if (!ok) {
      err("expected " + t + ", got " + std::string(v.type_name()));
      return errs;
    }
  }
  if (s.contains("oneOf")) {
    std::size_t matched = 0;
    std::string why;
    for (const auto& alt : s["oneOf"]) {
      const auto e = check(alt, v, where);
      if (e.empty()) {
        ++matched;
      } else if (why.empty()) {
        why = e.front();
      }
    }
    if (matched == 0) err("matches none of oneOf (first: " + why + ")");
    if (matched > 1) err("matches more than one of oneOf");
  }
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) err("value " + v.dump() + " not in enum");
  }
  if (v.is_number() && s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) {
    err("below minimum");
  }
  if (v.is_number() && s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) {
    err("above maximum");
  }
  if (v.is_string() && s.contains("maxLength") &&
      v.get<std::string>().size() > s["maxLength"].get<std::size_t>()) {
    err("longer than maxLength");
  }
  if (v.is_object()) {
    const json empty = json::object();
    const json& props = s.contains("properties") ? s["properties"] : empty;
    if (s.contains("required")) {
      for (const auto& r : s["required"]) {
        if (!v.contains(r.get<std::string>())) err("missing required " + r.get<std::string>());
      }
    }
    for (const auto& [k, x] : v.items()) {
      if (props.contains(k)) {
        auto sub = check(props[k], x, where + "." + k);
        errs.insert(errs.end(), sub.begin(), sub.end());
      } else if (s.contains("additionalProperties") && s["additionalProperties"] == false) {
        err("unexpected member " + k);
      }
    }
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>()) err("too few items");
    if (s.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto sub = check(s["items"], v[i], where + "[" + std::to_string(i) + "]");
        errs.insert(errs.end(), sub.begin(), sub.end());
      }
    }
  }
  return errs;
}

std::vector<std::string> OpenApi::check_response(const std::string& path, const std::string& method,
                                                 int status, const json& body) const {
  const auto& paths = doc_.at("paths");
  if (!paths.contains(path)) return {"path " + path + " not in the document"};
  std::string m = method;
  for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!paths[path].contains(m)) return {method + " " + path + " not in the document"};
  const auto& responses = paths[path][m].at("responses");
  const std::string code = std::to_string(status);
  if (!responses.contains(code)) {
    return {method + " " + path + ": status " + code + " not documented"};
  }
  const json& r = resolve(responses[code]);
  const json& schema = r.at("content").at("application/json").at("schema");
  return check(schema, body, method + " " + path + " " + code);
}

}  // namespace speerd::test
