// What a client may ask of an answer, and how its numbers are read: the
// per-request options of the JSON API (`view`, `transport`, `max_targets`)
// and the dial-plan context (`country_code`, `trunk_prefix`, `intl_prefix`)
// that turns a national or '+'-less number into E.164. The same keys, in the
// same `key=value&key=value` form, are the defaults stored with a client
// record (`speerctl client add|update --options`), so one parser serves the
// query string, the batch body and the store. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enum/expected.hpp"

namespace speerd::luf {

enum class View : std::uint8_t { full, compact };

// Transports a target may use, as a bit set (0: any).
enum TransportBit : std::uint8_t {
  kUdp = 1,
  kTcp = 2,
  kTls = 4,
  kSctp = 8,
  kWs = 16,
  kWss = 32,
};

// The bit of a target's transport ("udp", "tcp", "tls", "sctp", "ws", "wss"),
// or 0 for anything else.
std::uint8_t transport_bit(std::string_view transport);

// The longest digit strings a dial plan accepts.
inline constexpr std::size_t kMaxCountryCodeDigits = 3;
inline constexpr std::size_t kMaxPrefixDigits = 4;
// max_targets accepts 0 (no limit) to this.
inline constexpr std::uint32_t kMaxTargetsLimit = 64;

struct DialPlan {
  std::string country_code;  // 1-3 digits, first not 0; empty: no dial plan
  std::string trunk_prefix;  // national (trunk) prefix, e.g. "0" or "1"; may be empty
  std::string intl_prefix;   // international prefix, e.g. "00" or "011"; may be empty
  bool operator==(const DialPlan&) const = default;
};

// Each member is set only where the text named it: a request's options
// override a client's stored defaults key by key (ClientOptions::over).
struct ClientOptions {
  std::optional<View> view;
  std::optional<std::uint8_t> transports;    // bit set; 0 = any
  std::optional<std::uint32_t> max_targets;  // 0 = all
  std::optional<DialPlan> dial_plan;         // country_code set: a dial plan

  // This, with every member `top` sets taken from `top`.
  ClientOptions over(const ClientOptions& top) const;
  bool operator==(const ClientOptions&) const = default;
};

// One option: `key` is view, transport, max_targets, country_code,
// trunk_prefix or intl_prefix. Errors name the key and the form it needs.
// country_code, trunk_prefix and intl_prefix build one dial plan: a prefix
// without a country code is refused by parse_options/finish_dial_plan.
Expected<bool> set_option(ClientOptions& o, std::string_view key, std::string_view value);
// True for the six keys above.
bool is_option_key(std::string_view key);
// Checks the dial plan assembled by set_option (a prefix needs a country code).
Expected<bool> finish_dial_plan(ClientOptions& o);

// "view=compact&transport=udp,tcp&max_targets=2&country_code=44&trunk_prefix=0"
// (no percent-encoding: the values need none). Empty text: no options.
Expected<ClientOptions> parse_options(std::string_view text);
// The canonical text of `o` (keys in the order above; "" when nothing is set).
std::string to_text(const ClientOptions& o);
// "udp,tcp" for a bit set; "any" for 0.
std::string transports_text(std::uint8_t bits);

// The E.164 number (with '+') a dialled string stands for under `plan`.
// Separators ' ', '-', '.', '(' and ')' are removed first. In order:
//   "+..."                          -> as given
//   intl_prefix + digits            -> "+" digits
//   trunk_prefix + national number  -> "+" country_code national number
//   digits starting with the country code and long enough for E.164 (>= 8)
//                                   -> "+" digits ('+'-less E.164)
//   other digits                    -> "+" country_code digits (national
//                                      number dialled without trunk prefix)
// The result is not checked here beyond being digits (parse_e164 does that).
Expected<std::string> apply_dial_plan(std::string_view dialled, const DialPlan& plan);

}  // namespace speerd::luf
