#include "resolver/service/log.hpp"

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

}  // namespace speerd::service::log
