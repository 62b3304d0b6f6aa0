// One name table per enum: an enum's names are written once, next to it, and
// everything else (to_string, parsing, metric label values, JSON) reads them.
//
//   enum class Scheme : std::uint8_t { sip, sips };
//   SPEERD_ENUM_NAMES(Scheme, sips, "sip", "sips");
//
// declares enum_names(Scheme), found by argument-dependent lookup, and checks
// at compile time that there is one name per value (the enum's values must
// be 0 .. last, in order; `last` is the enum's last value). Then:
//   enum_name(Scheme::sips)       -> "sips"
//   parse_enum<Scheme>("sip")     -> Scheme::sip (std::nullopt for any other text)
//   all_values<Scheme>()          -> {Scheme::sip, Scheme::sips}
//   enum_count<Scheme>()          -> 2
// The model: Knot Resolver's KR_PROTO_MAP (lib/proto.h), without the X-macro.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#define SPEERD_ENUM_NAMES(E, last, ...)                                                  \
  constexpr std::array<std::string_view, std::array{__VA_ARGS__}.size()> enum_names(E) { \
    return {__VA_ARGS__};                                                                \
  }                                                                                      \
  static_assert(static_cast<std::size_t>(E::last) + 1 == enum_names(E{}).size(),         \
                #E ": one name per value, in order")

namespace speerd {

template <typename E>
constexpr std::size_t enum_count() {
  return enum_names(E{}).size();
}

// The value's name; empty for a value outside the table (a cast from a
// number that is not one of the enum's values).
template <typename E>
constexpr std::string_view enum_name(E e) {
  constexpr auto names = enum_names(E{});
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : std::string_view{};
}

template <typename E>
constexpr std::optional<E> parse_enum(std::string_view text) {
  constexpr auto names = enum_names(E{});
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <typename E>
constexpr std::array<E, enum_count<E>()> all_values() {
  std::array<E, enum_count<E>()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<E>(i);
  return out;
}

// The names as a list (metric label values, help text).
template <typename E>
std::vector<std::string_view> enum_name_list() {
  constexpr auto names = enum_names(E{});
  return {names.begin(), names.end()};
}

}  // namespace speerd
