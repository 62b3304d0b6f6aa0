#include "tests/daemon/support/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/sed-store/fixture.hpp"
#include "tests/server/support/harness.hpp"

extern char** environ;

namespace speerd::test {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string(name) + " not set");
  return v;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pin_value(const std::string& name) {
  std::ifstream in(pki("pins.txt"));
  std::string n, pin;
  while (in >> n >> pin) {
    if (n == name) return pin.substr(std::string("sha256/").size());
  }
  throw std::runtime_error("no pin for " + name);
}

}  // namespace

std::string store_backend() {
  const char* v = std::getenv("SPEERD_TEST_STORE");
  return v != nullptr && std::string(v) == "postgres" ? "postgres" : "sqlite";
}

std::string speerd_binary() {
  return env("SPEERD_BINARY_DIR") + "/resolver/daemon/speerd";
}
std::string speerctl_binary() {
  return env("SPEERD_BINARY_DIR") + "/tools/speerctl/speerctl";
}

int run(const std::string& command_line) {
  const int rc = std::system(command_line.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

DaemonProcess::DaemonProcess(const std::string& name, const std::string& extra_server_toml) {
  // The PostgreSQL registration of a test (ALSO_POSTGRES) may run beside the
  // SQLite one: each gets its own folder (and PKI), never the other's.
  dir = env("SPEERD_BINARY_DIR") + "/tests/server/daemon-" + name +
        (store_backend() == "postgres" ? "-pg" : "");
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Its own PKI (tools/pki/mkpki), for the pki() paths of this process.
  if (run(env("SPEERD_SOURCE_DIR") + "/tools/pki/mkpki " + dir + "/pki >/dev/null") != 0) {
    throw std::runtime_error("mkpki failed");
  }
  setenv("SPEERD_TEST_PKI", (dir + "/pki").c_str(), 1);
  config = dir + "/speerd.toml";
  if (store_backend() == "postgres") {
    store = std::make_shared<store::test::TestStore>(store::test::Backend::postgres);
    store_uri = store->uri();
  } else {
    store_uri = "sqlite:" + dir + "/store.db";
  }
  const std::string ctl = speerctl_binary() + " ";
  const std::string log = " >>" + dir + "/speerctl.log 2>&1";
  const std::string st = " --store " + store_uri + " --actor tests" + log;
  if (run(ctl + "store init --store " + store_uri + log) != 0 ||
      run(ctl +
          "client add sbc-a --cert-name sbc-a.example --tree e164.example --rate 1000000 "
          "--burst 1000000" +
          st) != 0 ||
      run(ctl + "client add sbc-b --spki-pin " + pin_value("client-b") +
          " --tree e164.example --tree e164.tree-b.example --rate 1000000 --burst 1000000" + st) !=
          0) {
    throw std::runtime_error("speerctl failed: " + read_file(dir + "/speerctl.log"));
  }
  resolver_toml_ = read_file(env("SPEERD_TESTBED") + "/speerd.toml");
  if (resolver_toml_.empty()) throw std::runtime_error("no testbed speerd.toml");
  write_config(extra_server_toml);
}

void DaemonProcess::write_config(const std::string& server_toml) {
  std::ofstream out(config + ".new");
  out << resolver_toml_ << "\n[server]\nlisten = \"127.0.0.1:0\"\nthreads = 2\n"
      << "drain_timeout_ms = 5000\n\n[tls]\ncertificate = \"" << pki("server.crt")
      << "\"\nprivate_key = \"" << pki("server.key") << "\"\nclient_ca = \"" << pki("ca.crt")
      << "\"\ncrls = [\"" << pki("crl.pem") << "\"]\n\n[admin]\nlisten = \"127.0.0.1:0\"\n\n"
      << "[store]\nuri = \"" << store_uri << "\"\nrefresh_interval_ms = 200\n\n"
      << "[log]\nlevel = \"debug\"\nfile = \"" << dir << "/speerd.log\"\n"
      << server_toml;
  out.close();
  fs::rename(config + ".new", config);  // a reload never sees half a file
}

void DaemonProcess::drop_resolver_lines(const std::string& prefix) {
  std::istringstream in(resolver_toml_);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) out += line + "\n";
  }
  resolver_toml_ = out;
}

void DaemonProcess::replace_resolver_text(const std::string& from, const std::string& to) {
  const auto at = resolver_toml_.find(from);
  if (at == std::string::npos) throw std::runtime_error("no '" + from + "' in the testbed toml");
  resolver_toml_.replace(at, from.size(), to);
}

bool DaemonProcess::start() {
  const std::string bin = speerd_binary();
  std::vector<std::string> args = {bin, "--config", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string out = dir + "/stderr.log";
  posix_spawn_file_actions_addopen(&fa, 2, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;
  // Ports from the "listening" events.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until && (api_port == 0 || admin_port == 0)) {
    std::istringstream lines(log());
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("event", "") != "listening") continue;
      const auto port = j.value("port", 0);
      (j.value("listener", "") == "api" ? api_port : admin_port) = static_cast<std::uint16_t>(port);
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return api_port != 0 && admin_port != 0;
}

void DaemonProcess::signal(int sig) {
  if (pid > 0) ::kill(pid, sig);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (pid > 0) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string DaemonProcess::log() const {
  return read_file(dir + "/speerd.log");
}

bool DaemonProcess::log_has(std::initializer_list<std::string> parts,
                            std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::istringstream lines(log());
    std::string line;
    while (std::getline(lines, line)) {
      bool all = true;
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) return true;
    }
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid > 0) {
    signal(SIGTERM);
    if (wait_exit(std::chrono::seconds(15)) < 0) {
      signal(SIGKILL);
      wait_exit(std::chrono::seconds(5));
    }
  }
}

// A value of the daemon's /metrics ("name{labels}" as printed), or -1.
long long metric(const DaemonProcess& d, const std::string& series) {
  const auto text = http_get(d.admin_port, "/metrics").second;
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + series.size() + 2));
}

}  // namespace speerd::test
