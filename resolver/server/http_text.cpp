#include "resolver/server/http_text.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "resolver/service/errors.hpp"
#include "resolver/service/limits.hpp"

namespace speerd::server {

std::string error_body(service::ErrorCode c, std::string_view message) {
  nlohmann::json j = {{"error", {{"code", service::info(c).code}, {"message", message}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RequestTarget split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

}  // namespace

Expected<std::string> percent_decode(std::string_view in) {
  if (in.size() > service::kMaxParamBytes) return fail("parameter longer than 1024 bytes");
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return fail("truncated %-escape");
      const int hi = hex(in[i + 1]);
      const int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return fail("bad %-escape");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (is_control(static_cast<unsigned char>(c))) return fail("control character in parameter");
    out.push_back(c);
  }
  return out;
}

Expected<QueryParams> parse_query(std::string_view query) {
  QueryParams out;
  if (query.empty()) return out;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const auto part = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (part.empty()) {
      if (amp == query.size()) break;  // a trailing '&'
      continue;
    }
    if (out.size() >= service::kMaxQueryParams) return fail("too many query parameters");
    const auto eq = part.find('=');
    auto name = percent_decode(part.substr(0, eq));
    if (!name) return fail(name.error());
    if (name->empty()) return fail("query parameter without a name");
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!value) return fail("parameter " + *name + ": " + value.error());
    for (const auto& [n, v] : out) {
      if (n == *name) return fail("parameter " + *name + " given twice");
    }
    out.emplace_back(std::move(*name), std::move(*value));
    if (amp == query.size()) break;
  }
  return out;
}

std::optional<std::string> param(const QueryParams& q, std::string_view name) {
  for (const auto& [n, v] : q) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

void serialize(const Response& r, std::string& out) {
  out.reserve(out.size() + 160 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\nCache-Control: no-store\r\n";
  if (r.retry_after_s) out += "Retry-After: " + std::to_string(*r.retry_after_s) + "\r\n";
  if (!r.allow.empty()) {
    out += "Allow: ";
    out += r.allow;
    out += "\r\n";
  }
  if (r.close) out += "Connection: close\r\n";
  out += "\r\n";
  out += r.body;
}

}  // namespace speerd::server
