// A small checker of JSON values against the OpenAPI 3 document
// (resolver/server/openapi.yaml, converted to JSON at build time): the subset
// of JSON Schema the document uses ($ref, type, required, properties,
// additionalProperties: false, items, enum, minimum, maximum, minItems,
// maxLength).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace speerd::test {

class OpenApi {
 public:
  explicit OpenApi(nlohmann::json doc) : doc_(std::move(doc)) {}
  static OpenApi load(const std::string& file);  // throws on a missing or broken file

  // What is wrong with `body` as the response to METHOD PATH with STATUS
  // (empty: it conforms). A status the document does not list is an error.
  std::vector<std::string> check_response(const std::string& path, const std::string& method,
                                          int status, const nlohmann::json& body) const;
  std::vector<std::string> check(const nlohmann::json& schema, const nlohmann::json& value,
                                 const std::string& where) const;

 private:
  const nlohmann::json& resolve(const nlohmann::json& maybe_ref) const;
  nlohmann::json doc_;
};

// The converted document in the build tree.
std::string openapi_json_path();

}  // namespace speerd::test
