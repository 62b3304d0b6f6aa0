#include "resolver/service/log.hpp"

#include <map>
#include <string>
#include <utility>

#include "enum/guarded.hpp"

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

using Windows = std::map<std::pair<std::string, std::string>, Window>;  // (event, reason)
Guarded<Windows> windows;

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
  const bool log_it = windows.with([&](Windows& all) {
    auto& w = all[{std::string(name), std::string(reason)}];
    if (now - w.start >= kThrottleWindow) {
      report({std::string(name), std::string(reason)}, w);
      w.start = now;
      w.logged = 0;
    }
    w.level = lvl;
    if (w.logged >= kThrottleBurst) {
      ++w.suppressed;
      return false;
    }
    ++w.logged;
    return true;
  });
  if (log_it) event(lvl, name, std::move(fields));
}

void flush_suppressed() {
  const auto now = std::chrono::steady_clock::now();
  windows.with([&](Windows& all) {
    for (auto it = all.begin(); it != all.end();) {
      if (now - it->second.start < kThrottleWindow) {
        ++it;
        continue;
      }
      report(it->first, it->second);
      it = all.erase(it);  // an ended window with nothing left to say
    }
  });
}

}  // namespace speerd::service::log
