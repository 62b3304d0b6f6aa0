// Fuzz target for speerd.toml: the bytes go through speerd::daemon::load_config_text,
// what load_config (the path `speerd --check-config` and SIGHUP take) does once it has
// read the file, with no file I/O per input (the UTF-8 check, toml11's
// parser, the section check, every [server] [tls] [limits] [admin] [store] [log] key and
// the resolver's [dns] [[dns.stub]] [[enum.tree]] [lookup] [cache]). Checks:
//   - a file that loads names itself, and every value the parser accepted is within
//     the bounds the daemon relies on (listen addresses parse, tree suffixes are
//     canonical, limits positive);
//   - a file that does not load has an error that starts with the file's name.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "enum/e164.hpp"
#include "resolver/daemon/config.hpp"

namespace {

using namespace speerd;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = "/fuzz/speerd.toml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = daemon::load_config_text(text, file);
  if (!cfg) {
    check(cfg.error().rfind(file.string(), 0) == 0);
    return 0;
  }
  const auto& c = **cfg;
  check(c.file == file);
  check(service::parse_host_port(c.server.server.listen).has_value());
  check(c.server.limits.max_connections > 0 && c.server.limits.max_header_bytes > 0 &&
        c.server.limits.max_batch > 0);
  for (const auto& t : c.resolver.trees) {
    auto s = luf::parse_enum_suffix(t.suffix);
    check(s.has_value() && *s == t.suffix);
  }
  return 0;
}
