// speerd.toml as a whole: the daemon's sections (resolver/service/settings.hpp)
// and the resolver's (resolver/config/config.hpp). Loaded whole, checked
// whole, and swapped whole on SIGHUP (std::shared_ptr<const Config>); a file
// that does not load leaves the running configuration alone.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <toml.hpp>

#include "enum/expected.hpp"
#include "resolver/config/config.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::daemon {

struct Config {
  std::filesystem::path file;
  service::ServerConfig server;
  config::ResolverConfig resolver;
  toml::value resolver_toml;  // the resolver sections as read (to tell whether they changed)
};

// Reads and checks FILE. Errors start with the file name and name the
// section and key (and line, where the parser knows it). Relative paths in
// [tls] and [log] are resolved against the file's folder.
Expected<std::shared_ptr<const Config>> load_config(const std::filesystem::path& file);
// The same for `text` as if read from `file` (its folder resolves relative
// paths; nothing is read): the fuzz target's entry.
Expected<std::shared_ptr<const Config>> load_config_text(const std::string& text,
                                                         const std::filesystem::path& file);

}  // namespace speerd::daemon
