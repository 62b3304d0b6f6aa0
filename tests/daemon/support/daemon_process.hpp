// A real speerd process for the end-to-end tests: its own folder with a
// store (provisioned with speerctl), the testbed's resolver sections plus the
// test PKI, ports chosen by the kernel (read back from its log). The store is
// SQLite, or with SPEERD_TEST_STORE=postgres a fresh database on the
// `postgres` fixture's server (SPEERD_PG_ENV), dropped with the process
// object: the same tests on both backends (issue 13, label store-postgres).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>

namespace speerd::store::test {
class TestStore;
}

namespace speerd::test {

// "postgres" when SPEERD_TEST_STORE says so, else "sqlite".
std::string store_backend();

std::string speerd_binary();
std::string speerctl_binary();
// Runs a command line through the shell; returns its exit status.
int run(const std::string& command_line);

class DaemonProcess {
 public:
  // Makes DIR (fresh), its test PKI (and points SPEERD_TEST_PKI at it), the
  // store with clients sbc-a (SAN name) and sbc-b (SPKI pin), and
  // DIR/speerd.toml from the testbed's plus `extra` TOML.
  explicit DaemonProcess(const std::string& name, const std::string& extra_server_toml = {});
  ~DaemonProcess();

  bool start();  // spawns speerd and waits for its listeners
  void signal(int sig);
  int wait_exit(std::chrono::milliseconds timeout);  // exit status, -1 on timeout
  bool log_has(std::initializer_list<std::string> parts,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::string log() const;
  void write_config(const std::string& server_toml);  // replaces the daemon sections
  // Drops every line of the testbed's resolver sections that starts with
  // `prefix` (e.g. "trust_anchor_files"); takes effect at the next write_config.
  void drop_resolver_lines(const std::string& prefix);
  // Replaces the first `from` in the testbed's resolver sections with `to`
  // (throws if there is none); takes effect at the next write_config.
  void replace_resolver_text(const std::string& from, const std::string& to);

  std::string dir, config, store_uri;
  std::shared_ptr<store::test::TestStore> store;  // the PostgreSQL database, if any
  std::uint16_t api_port = 0, admin_port = 0;
  pid_t pid = -1;

 private:
  std::string resolver_toml_;
};

// A value of the daemon's /metrics ("name{labels}" as printed), or -1.
long long metric(const DaemonProcess& d, const std::string& series);

}  // namespace speerd::test
