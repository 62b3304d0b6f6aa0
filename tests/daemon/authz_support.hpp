// Helpers of the issue 15 tests (test_authz*.cpp): speerctl against the
// daemon's store, polling on new connections, editing the daemon's file.
#pragma once

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include <catch2/catch.hpp>

#include "tests/daemon/support/daemon_process.hpp"
#include "tests/server/support/harness.hpp"

namespace speerd::test::authz {

inline const std::string kRouted = "/v1/lookup?number=+12155551234";

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs speerctl with `args` against the daemon's store; {exit status, output}.
inline std::pair<int, std::string> ctl(const DaemonProcess& d, const std::string& args,
                                       bool with_store = true) {
  const std::string out = d.dir + "/ctl.out";
  const int rc =
      run(speerctl_binary() + " " + args +
          (with_store ? " --store " + d.store_uri + " --actor tests" : "") + " >" + out + " 2>&1");
  return {rc, slurp(out)};
}

// Asks on a new connection (the store directory is read per connection)
// every 100 ms until `done` says yes; returns the last response.
inline HttpResponse poll(const DaemonProcess& d, const std::string& client,
                         const std::string& method, const std::string& target,
                         const std::string& body,
                         const std::function<bool(const HttpResponse&)>& done, int tries = 100) {
  HttpResponse last;
  for (int i = 0; i < tries; ++i) {
    TestClient c(d.api_port, client_options(client));
    auto r = c.request(method, target, body);
    if (r) {
      last = *r;
      if (done(last)) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Rewrites the daemon's file in place (atomically) with `from` -> `to`.
inline void edit_config(const DaemonProcess& d, const std::string& from, const std::string& to) {
  std::string text = slurp(d.config);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  {
    std::ofstream out(d.config + ".edit");
    out << text;
  }
  REQUIRE(std::rename((d.config + ".edit").c_str(), d.config.c_str()) == 0);
}

}  // namespace speerd::test::authz
