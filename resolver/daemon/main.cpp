// speerd: the DNSSEC-validating ENUM/SIP lookup service.
//
//   speerd -c /etc/speerd/speerd.toml      run (SIGHUP: reload, SIGTERM/SIGINT: drain and exit)
//   speerd --check-config FILE              check a configuration file and exit
//   speerd --help-config                    every setting of speerd.toml: default, type, range,
//                                           reload or restart
//
// Exit codes: 0 ok, 1 configuration or start-up error (the message says
// which key or file), 2 usage.
//
// Under systemd (Type=notify, conf/speerd.service) speerd tells the service
// manager READY=1 once the store is open, every shard has its pipeline and both
// listeners accept connections; RELOADING=1 ... READY=1 around a SIGHUP reload
// (with STATUS= saying whether it applied) and STOPPING=1 when it starts to drain.
// Without $NOTIFY_SOCKET these are no-ops.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <systemd/sd-daemon.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "resolver/daemon/config.hpp"
#include "resolver/daemon/logging.hpp"
#include "resolver/daemon/runtime.hpp"
#include "resolver/service/log.hpp"
#include "resolver/service/tls.hpp"
#include "sed-store/store.hpp"

namespace {

namespace d = speerd::daemon;
namespace log = speerd::service::log;

constexpr int kExitConfig = 1;

int check_config(const std::string& file) {
  auto cfg = d::load_config(file);
  if (!cfg) {
    std::cerr << "speerd: " << cfg.error() << "\n";
    return kExitConfig;
  }
  if (auto tls = speerd::service::make_server_contexts((*cfg)->server); !tls) {
    std::cerr << "speerd: " << file << ": " << tls.error() << "\n";
    return kExitConfig;
  }
  if (auto s = speerd::store::open_store((*cfg)->server.store.uri); !s) {
    std::cerr << "speerd: " << file << ": [store] uri: " << s.error().message << "\n";
    return kExitConfig;
  }
  std::cout << file << ": ok\n";
  return 0;
}

int run(const std::string& file) {
  auto cfg = d::load_config(file);
  if (!cfg) {
    std::cerr << "speerd: " << cfg.error() << "\n";
    return kExitConfig;
  }
  if (auto l = d::setup_logging((*cfg)->server.log); !l) {
    std::cerr << "speerd: " << file << ": " << l.error() << "\n";
    return kExitConfig;
  }
  boost::asio::io_context io(1);
  auto rt = d::Runtime::start(io, *cfg);
  if (!rt) {
    log::event(spdlog::level::critical, "start-failed", {{"error", rt.error()}});
    std::cerr << "speerd: " << rt.error() << "\n";
    return kExitConfig;
  }
  boost::asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
  sd_notifyf(0, "READY=1\nSTATUS=serving, API port %u, admin port %u\nMAINPID=%lu",
             unsigned{(*rt)->server().api_port()}, unsigned{(*rt)->server().admin_port()},
             static_cast<unsigned long>(getpid()));
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          sd_notify(0, "RELOADING=1");
          // Reopens the log (rotation); [log] changes only with an
          // accepted reload (Runtime::reload). The old configuration keeps
          // serving when the new one is refused.
          auto r = (*rt)->reload();
          std::string status = r ? "reloaded" : "reload refused: " + r.error();
          std::replace(status.begin(), status.end(), '\n', ' ');  // one notify field
          sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
          signals.async_wait(on_signal);
          return;
        }
        log::event(spdlog::level::info, "signal", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
        sd_notify(0, "STOPPING=1\nSTATUS=draining");
        (*rt)->shutdown();
        io.stop();
      };
  signals.async_wait(on_signal);
  io.run();
  rt->reset();
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"speerd: DNSSEC-validating ENUM/SIP lookup service (mTLS JSON API)"};
  std::string config = "/etc/speerd/speerd.toml";
  std::string check;
  bool help_config = false;
  bool version = false;
  app.add_option("-c,--config", config, "configuration file")->capture_default_str();
  app.add_option("--check-config", check,
                 "check FILE (syntax, keys, certificates, store) and exit");
  app.add_flag("--help-config", help_config, "describe every setting of speerd.toml and exit");
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version) {
    std::cout << "speerd " << SPEERD_VERSION << "\n";
    return 0;
  }
  if (help_config) {
    std::cout << "Every setting of speerd.toml: its default (what an absent key means), its\n"
                 "type and range, and whether a reload (SIGHUP) applies a change.\n"
              << speerd::service::describe_settings();
    return 0;
  }
  try {
    if (!check.empty()) return check_config(check);
    return run(config);
  } catch (const std::exception& e) {
    std::cerr << "speerd: internal error: " << e.what() << "\n";
    return 70;
  }
}
