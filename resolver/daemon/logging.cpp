#include "resolver/daemon/logging.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "enum/guarded.hpp"

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

namespace {

// A file (or stderr) that can be reopened while other threads log.
class ReopenableSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~ReopenableSink() override { close(); }

  Expected<bool> open(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    FILE* f = stderr;
    if (!path.empty()) {
      f = std::fopen(path.c_str(), "a");
      if (!f) return fail("[log] file: cannot open " + path + ": " + std::strerror(errno));
    }
    close();
    file_ = f;
    return true;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::fwrite(buf.data(), 1, buf.size(), file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  void close() {
    if (file_ && file_ != stderr) std::fclose(file_);
    file_ = nullptr;
  }
  FILE* file_ = stderr;
};

// The process's one sink, made by the first setup_logging() and reopened by later ones.
Guarded<std::shared_ptr<ReopenableSink>> the_sink;

}  // namespace

Expected<bool> setup_logging(const service::LogSection& log) {
  return the_sink.with([&](std::shared_ptr<ReopenableSink>& the) -> Expected<bool> {
    if (!the) {
      auto sink = std::make_shared<ReopenableSink>();
      if (auto r = sink->open(log.file); !r) return r;
      sink->set_formatter(std::make_unique<JsonFormatter>());
      auto logger = std::make_shared<spdlog::logger>("speerd", sink);
      logger->flush_on(spdlog::level::info);
      spdlog::set_default_logger(logger);
      the = sink;
    } else if (auto r = the->open(log.file); !r) {
      return r;
    }
    spdlog::default_logger_raw()->set_level(spdlog::level::from_str(log.level));
    return true;
  });
}

Expected<bool> check_logging(const service::LogSection& log) {
  if (log.file.empty()) return true;
  FILE* f = std::fopen(log.file.c_str(), "a");
  if (!f) return fail("[log] file: cannot open " + log.file + ": " + std::strerror(errno));
  std::fclose(f);
  return true;
}

}  // namespace speerd::daemon
