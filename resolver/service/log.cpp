#include "resolver/service/log.hpp"

#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace speerd::service::log {

void event(spdlog::level::level_enum lvl, std::string_view name, nlohmann::json fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(lvl)) return;
  nlohmann::json j = nlohmann::json::object();
  j["event"] = name;
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items()) j[k] = std::move(v);
  }
  logger->log(lvl, "{}", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

struct Window {
  std::chrono::steady_clock::time_point start;
  int logged = 0;
  std::int64_t suppressed = 0;
  spdlog::level::level_enum level = spdlog::level::warn;
};

std::mutex throttle_mutex;
std::map<std::pair<std::string, std::string>, Window> windows;  // (event, reason)

void report(const std::pair<std::string, std::string>& key, Window& w) {
  if (w.suppressed == 0) return;
  event(w.level, "log-suppressed",
        {{"suppressed_event", key.first},
         {"reason", key.second},
         {"suppressed", w.suppressed},
         {"window_ms", kThrottleWindow.count()}});
  w.suppressed = 0;
}

}  // namespace

void throttled(spdlog::level::level_enum lvl, std::string_view name, std::string_view reason,
               nlohmann::json fields) {
  if (!enabled(lvl)) return;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(throttle_mutex);
    auto& w = windows[{std::string(name), std::string(reason)}];
    if (now - w.start >= kThrottleWindow) {
      report({std::string(name), std::string(reason)}, w);
      w.start = now;
      w.logged = 0;
    }
    w.level = lvl;
    if (w.logged >= kThrottleBurst) {
      ++w.suppressed;
      return;
    }
    ++w.logged;
  }
  event(lvl, name, std::move(fields));
}

void flush_suppressed() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(throttle_mutex);
  for (auto it = windows.begin(); it != windows.end();) {
    if (now - it->second.start < kThrottleWindow) {
      ++it;
      continue;
    }
    report(it->first, it->second);
    it = windows.erase(it);  // an ended window with nothing left to say
  }
}

}  // namespace speerd::service::log
