// Issue 12 end-to-end helpers: one PostgreSQL primary with a streaming
// replica for the whole test file (tools/testbed/postgres in the build
// tree; stopped and started again by the tests), and speerd as a process
// (DaemonProcess) reading its store from that replica or the primary.
#pragma once

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/daemon/support/daemon_process.hpp"
#include "tests/server/support/harness.hpp"

namespace speerd::test::resil {

inline const std::string kCached = "/v1/lookup?number=+12155551234";

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string env_value(const std::string& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

// The file's own PostgreSQL (never the shared `postgres` fixture: the tests
// stop it).
class Pg {
 public:
  static Pg& get() {
    static Pg pg;
    return pg;
  }
  ~Pg() { (void)run(script_ + " stop " + dir_ + " >/dev/null 2>&1"); }

  // A new database on the primary, with a speerd store in it; its URIs on
  // the primary and on the replica.
  std::pair<std::string, std::string> make_store(const std::string& name) {
    {
      pqxx::connection c(primary_ + "postgres");
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
      tx.exec("CREATE DATABASE " + tx.quote_name(name));
    }
    const std::string p = primary_ + name, r = replica_ + name;
    REQUIRE(run(speerctl_binary() + " store init --store " + p + " >/dev/null 2>&1") == 0);
    return {p, r};
  }
  void halt(const std::string& which) {
    REQUIRE(run(script_ + " halt " + dir_ + " " + which + " >/dev/null 2>&1") == 0);
  }
  void resume(const std::string& which) {
    REQUIRE(run(script_ + " resume " + dir_ + " " + which + " >/dev/null 2>&1") == 0);
  }

 private:
  Pg() {
    dir_ = std::string(std::getenv("SPEERD_BINARY_DIR")) + "/tests/resilience/pg";
    script_ = std::string(std::getenv("SPEERD_SOURCE_DIR")) + "/tools/testbed/postgres";
    if (run("POSTGRES_QUIET=1 " + script_ + " start " + dir_ + " && POSTGRES_QUIET=1 " + script_ +
            " start-replica " + dir_) != 0) {
      throw std::runtime_error("tools/testbed/postgres start failed in " + dir_);
    }
    auto base = [](std::string uri) { return uri.substr(0, uri.rfind('/') + 1); };
    primary_ = base(env_value(dir_ + "/pg.env", "SPEERD_PG_URI"));
    replica_ = base(env_value(dir_ + "/pg.env", "SPEERD_PG_REPLICA_URI"));
  }
  std::string dir_, script_, primary_, replica_;
};

inline std::string pin_of(const std::string& name) {
  std::ifstream in(pki("pins.txt"));
  std::string n, pin;
  while (in >> n >> pin) {
    if (n == name) return pin.substr(std::string("sha256/").size());
  }
  throw std::runtime_error("no pin for " + name);
}

// speerctl against `store`; {exit status, output}.
inline std::pair<int, std::string> ctl(const DaemonProcess& d, const std::string& store,
                                       const std::string& args) {
  const std::string out = d.dir + "/ctl.out";
  const int rc = run(speerctl_binary() + " " + args + " --store " + store + " --actor tests >" +
                     out + " 2>&1");
  return {rc, slurp(out)};
}

struct NodeOptions {
  std::string policy;         // [lookup] store_policy; "" = the default (advisory)
  bool on_primary = false;    // read from the primary (a lock needs it) instead of the replica
  bool one_shard = false;     // [server] threads = 1
  bool start_halted = false;  // the replica is down when speerd starts
};

// speerd on a store of its own, clients sbc-a (SAN name) and sbc-b (SPKI
// pin) as DaemonProcess provisions them.
class Node {
 public:
  Node(const std::string& name, NodeOptions o = {}) : d(name) {
    std::tie(primary, replica) = Pg::get().make_store("resil_" + name);
    REQUIRE(ctl(d, primary,
                "client add sbc-a --cert-name sbc-a.example --tree e164.example --rate 1000000 "
                "--burst 1000000")
                .first == 0);
    REQUIRE(ctl(d, primary,
                "client add sbc-b --spki-pin " + pin_of("client-b") +
                    " --tree e164.example --rate 1000000 --burst 1000000")
                .first == 0);
    d.store_uri = o.on_primary ? primary : replica;
    if (!o.policy.empty()) {
      d.replace_resolver_text("[lookup]\n", "[lookup]\nstore_policy = \"" + o.policy + "\"\n");
    }
    d.write_config({});
    if (o.one_shard) {
      std::string text = slurp(d.config);
      const auto at = text.find("threads = 2");
      REQUIRE(at != std::string::npos);
      text.replace(at, 11, "threads = 1");
      std::ofstream(d.config) << text;
    }
    if (o.start_halted) {
      wait_replicated();
      Pg::get().halt("replica");
    }
    REQUIRE(d.start());
  }

  // The replica has the clients (it replays asynchronously).
  void wait_replicated() {
    for (int i = 0; i < 100; ++i) {
      try {
        pqxx::connection c(replica);
        pqxx::nontransaction tx(c);
        if (tx.exec("SELECT count(*) FROM client")[0][0].as<int>() >= 2) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("the replica did not catch up");
  }

  // /readyz until it answers `status` (or tries run out): the last body.
  std::pair<int, std::string> wait_ready(int status = 200, int tries = 200) {
    std::pair<int, std::string> r;
    for (int i = 0; i < tries; ++i) {
      r = http_get(d.admin_port, "/readyz");
      if (r.first == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return r;
  }

  // The value of a /metrics line that starts with `series` (-1: none).
  double metric(const std::string& series) {
    std::istringstream in(http_get(d.admin_port, "/metrics").second);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }

  // The metric once it reads `want` (published every second), or its last value.
  double metric_becomes(const std::string& series, double want, int tries = 100) {
    double v = -1;
    for (int i = 0; i < tries; ++i) {
      v = metric(series);
      if (v == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return v;
  }

  DaemonProcess d;
  std::string primary, replica;
};

// A keep-alive client asking the same (cached) question in a loop on its
// own thread, counting answers that route and everything else.
class Load {
 public:
  Load(std::uint16_t port, const std::string& client, const std::string& target)
      : thread_([this, port, client, target] {
          auto c = std::make_unique<TestClient>(port, client_options(client));
          while (!stop_) {
            auto r = c->get(target);
            const bool ok = r && r->status == 200 && r->json().value("verdict", "") == "route";
            ++(ok ? ok_ : failed_);
            if (!ok) last_failure_ = r ? r->body : r.error();
            if (!r || !r->keep_alive)
              c = std::make_unique<TestClient>(port, client_options(client));
          }
        }) {}
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t ok() const { return ok_; }
  std::int64_t failed() const { return failed_; }
  std::string last_failure() const { return last_failure_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> ok_{0}, failed_{0};
  std::string last_failure_;
  std::thread thread_;
};

}  // namespace speerd::test::resil
