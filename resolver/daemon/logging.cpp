#include "resolver/daemon/logging.hpp"

#include <chrono>
#include <ctime>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace speerd::daemon {
namespace {

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

}  // namespace

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto t = msg.time;
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[40];
  const std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(ms.count()));
  append(dest, R"({"ts":")");
  append(dest, ts);
  append(dest, R"(","level":")");
  const auto level = spdlog::level::to_string_view(msg.level);
  append(dest, std::string_view(level.data(), level.size()));
  append(dest, R"(","logger":)");
  append(dest, nlohmann::json(std::string(msg.logger_name.data(), msg.logger_name.size())).dump());
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  if (payload.size() >= 2 && payload.front() == '{' && payload.back() == '}') {
    if (payload.size() > 2) append(dest, ",");
    append(dest, payload.substr(1));  // the event's own fields and its closing brace
  } else {
    append(dest, R"(,"msg":)");
    append(dest, nlohmann::json(std::string(payload))
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    append(dest, "}");
  }
  append(dest, "\n");
}

Expected<bool> setup_logging(const server::LogSection& log) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (log.file.empty()) {
      logger = std::make_shared<spdlog::logger>("speerd",
                                                std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
      logger = std::make_shared<spdlog::logger>(
          "speerd", std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.file, false));
    }
  } catch (const std::exception& e) {
    return fail("[log] file: " + std::string(e.what()));
  }
  logger->set_formatter(std::make_unique<JsonFormatter>());
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

}  // namespace speerd::daemon
