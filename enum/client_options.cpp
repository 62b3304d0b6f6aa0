#include "enum/client_options.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace speerd::luf {
namespace {

struct TransportName {
  std::string_view name;
  std::uint8_t bit;
};
constexpr std::array<TransportName, 6> kTransports{
    {{"udp", kUdp}, {"tcp", kTcp}, {"tls", kTls}, {"sctp", kSctp}, {"ws", kWs}, {"wss", kWss}}};

constexpr std::array<std::string_view, 6> kKeys{"view",         "transport",    "max_targets",
                                                "country_code", "trunk_prefix", "intl_prefix"};

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Control bytes and non-ASCII are not echoed (the value is untrusted input).
std::string shown(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 32)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u >= 0x7f ? '?' : c);
  }
  return "'" + out + (v.size() > 32 ? "...'" : "'");
}

Expected<std::uint8_t> parse_transports(std::string_view v) {
  if (v == "any") return std::uint8_t{0};
  std::uint8_t bits = 0;
  while (true) {
    const auto comma = v.find(',');
    const auto item = v.substr(0, comma);
    const auto it = std::find_if(kTransports.begin(), kTransports.end(),
                                 [&](const TransportName& t) { return t.name == item; });
    if (it == kTransports.end()) {
      return fail("transport " + shown(item) +
                  " is not one of udp, tcp, tls, sctp, ws, wss (a comma-separated list, or any)");
    }
    bits |= it->bit;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return bits;
}

DialPlan& plan_of(ClientOptions& o) {
  if (!o.dial_plan) o.dial_plan = DialPlan{};
  return *o.dial_plan;
}

}  // namespace

std::uint8_t transport_bit(std::string_view transport) {
  for (const auto& t : kTransports) {
    if (t.name == transport) return t.bit;
  }
  return 0;
}

std::string transports_text(std::uint8_t bits) {
  if (bits == 0) return "any";
  std::string out;
  for (const auto& t : kTransports) {
    if ((bits & t.bit) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(t.name);
  }
  return out;
}

ClientOptions ClientOptions::over(const ClientOptions& top) const {
  ClientOptions o = *this;
  if (top.view) o.view = top.view;
  if (top.transports) o.transports = top.transports;
  if (top.max_targets) o.max_targets = top.max_targets;
  if (top.dial_plan) o.dial_plan = top.dial_plan;
  return o;
}

bool is_option_key(std::string_view key) {
  return std::find(kKeys.begin(), kKeys.end(), key) != kKeys.end();
}

Expected<bool> set_option(ClientOptions& o, std::string_view key, std::string_view value) {
  if (key == "view") {
    if (value == "full") {
      o.view = View::full;
    } else if (value == "compact") {
      o.view = View::compact;
    } else {
      return fail("view " + shown(value) + " is not full or compact");
    }
  } else if (key == "transport") {
    auto bits = parse_transports(value);
    if (!bits) return fail(bits.error());
    o.transports = *bits;
  } else if (key == "max_targets") {
    std::uint32_t n = 0;
    const auto* end = value.data() + value.size();
    const auto [p, ec] = std::from_chars(value.data(), end, n);
    if (value.empty() || ec != std::errc() || p != end || n > kMaxTargetsLimit) {
      return fail("max_targets " + shown(value) + " is not a number from 0 (all) to " +
                  std::to_string(kMaxTargetsLimit));
    }
    o.max_targets = n;
  } else if (key == "country_code") {
    if (value.empty() || value.size() > kMaxCountryCodeDigits || !all_digits(value) ||
        value[0] == '0') {
      return fail("country_code " + shown(value) + " is not 1 to 3 digits without a leading 0");
    }
    plan_of(o).country_code = std::string(value);
  } else if (key == "trunk_prefix" || key == "intl_prefix") {
    if (value.size() > kMaxPrefixDigits || !all_digits(value)) {
      return fail(std::string(key) + " " + shown(value) + " is not 0 to 4 digits");
    }
    (key == "trunk_prefix" ? plan_of(o).trunk_prefix : plan_of(o).intl_prefix) = std::string(value);
  } else {
    return fail("unknown option " + shown(key) +
                " (known: view, transport, max_targets, country_code, trunk_prefix, "
                "intl_prefix)");
  }
  return true;
}

Expected<bool> finish_dial_plan(ClientOptions& o) {
  if (!o.dial_plan) return true;
  const DialPlan& p = *o.dial_plan;
  if (p.country_code.empty()) {
    if (p.trunk_prefix.empty() && p.intl_prefix.empty()) {
      o.dial_plan.reset();
      return true;
    }
    return fail("trunk_prefix and intl_prefix need a country_code");
  }
  if (!p.trunk_prefix.empty() && p.intl_prefix == p.trunk_prefix) {
    return fail("trunk_prefix and intl_prefix must differ");
  }
  return true;
}

Expected<ClientOptions> parse_options(std::string_view text) {
  ClientOptions o;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto item = text.substr(0, amp);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return fail("option " + shown(item) + " is not key=value");
    if (auto ok = set_option(o, item.substr(0, eq), item.substr(eq + 1)); !ok) {
      return fail(ok.error());
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  if (auto ok = finish_dial_plan(o); !ok) return fail(ok.error());
  return o;
}

std::string to_text(const ClientOptions& o) {
  std::string out;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!out.empty()) out.push_back('&');
    out.append(k).push_back('=');
    out.append(v);
  };
  if (o.view) add("view", *o.view == View::compact ? "compact" : "full");
  if (o.transports) add("transport", transports_text(*o.transports));
  if (o.max_targets) add("max_targets", std::to_string(*o.max_targets));
  if (o.dial_plan) {
    add("country_code", o.dial_plan->country_code);
    if (!o.dial_plan->trunk_prefix.empty()) add("trunk_prefix", o.dial_plan->trunk_prefix);
    if (!o.dial_plan->intl_prefix.empty()) add("intl_prefix", o.dial_plan->intl_prefix);
  }
  return out;
}

Expected<std::string> apply_dial_plan(std::string_view dialled, const DialPlan& plan) {
  std::string digits;
  const bool plus = !dialled.empty() && dialled[0] == '+';
  for (char c : plus ? dialled.substr(1) : dialled) {
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') continue;
    if (c < '0' || c > '9') return fail("number may contain only digits and separators");
    digits.push_back(c);
  }
  if (digits.empty()) return fail("number has no digits");
  if (plus) return "+" + digits;
  if (plan.country_code.empty()) return fail("no dial plan for a number without '+'");
  const std::string_view d = digits;
  if (!plan.intl_prefix.empty() && d.starts_with(plan.intl_prefix)) {
    return "+" + std::string(d.substr(plan.intl_prefix.size()));
  }
  if (!plan.trunk_prefix.empty() && d.starts_with(plan.trunk_prefix)) {
    return "+" + plan.country_code + std::string(d.substr(plan.trunk_prefix.size()));
  }
  // '+'-less E.164: starts with the country code and is long enough.
  constexpr std::size_t kMinE164Digits = 8;
  if (d.starts_with(plan.country_code) && d.size() >= kMinE164Digits) return "+" + digits;
  return "+" + plan.country_code + digits;
}

}  // namespace speerd::luf
