// Structured log events: each is one JSON object (event name + fields) handed
// to spdlog; the daemon's formatter (resolver/daemon/logging.hpp) adds the
// time, level and logger and writes one JSON line.
#pragma once

#include <chrono>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace speerd::service::log {

// Event names that operators and tests search for.
inline constexpr const char* kRefused = "connection-refused";  // fields: peer, reason, detail
inline constexpr const char* kClosed = "connection-closed";    // fields: peer, client, reason
inline constexpr const char* kAccepted = "client-authenticated";
inline constexpr const char* kReload = "config-reload";
inline constexpr const char* kListening = "listening";
inline constexpr const char* kDrain = "drain";

inline bool enabled(spdlog::level::level_enum lvl) {
  return spdlog::default_logger_raw()->should_log(lvl);
}

void event(spdlog::level::level_enum lvl, std::string_view name, nlohmann::json fields = {});

// Events a flood can repeat (refused connections, refused requests): at
// most kThrottleBurst lines per event and reason per kThrottleWindow. The
// rest are counted, and one "log-suppressed" line {event, reason,
// suppressed} reports them when the window has passed (at the next such
// event or at flush_suppressed(), which the server calls every second).
inline constexpr int kThrottleBurst = 20;
inline constexpr std::chrono::milliseconds kThrottleWindow{1000};
void throttled(spdlog::level::level_enum lvl, std::string_view name, std::string_view reason,
               nlohmann::json fields);
void flush_suppressed();

}  // namespace speerd::service::log
