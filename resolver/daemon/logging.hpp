// Logs are JSON lines: {"ts":"2025-01-31T12:00:00.123Z","level":"warn",
// "logger":"speerd","event":"connection-refused",...}. Structured events
// (resolver/service/log.hpp) put their fields on the line itself; any other
// text becomes "msg".
#pragma once

#include <memory>

#include <spdlog/formatter.h>

#include "enum/expected.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::daemon {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Installs the default logger from [log] on the first call. Later calls
// (SIGHUP) reopen the file or switch to stderr and set the level on the same
// logger: threads hold the default logger by raw pointer, so it is never
// replaced while speerd runs. Reopening also serves log rotation.
Expected<bool> setup_logging(const service::LogSection& log);

// Whether setup_logging(log) would work (the file can be opened for
// appending), without changing anything: a reload checks it before it
// switches, so that an accepted reload applies all of itself or nothing.
Expected<bool> check_logging(const service::LogSection& log);

}  // namespace speerd::daemon
