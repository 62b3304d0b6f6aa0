// Pipeline benchmark (in-process, one event loop = one core): lookups/s and
// p50/p99 latency for warm (cached) and cold lookups against a testbed, and
// the cold lookup's latency against the DNS round trips on its critical path.
//
//   tools/testbed/testbed start /tmp/tb
//   build/release/tools/bench/bench_pipeline --config /tmp/tb/speerd.toml
//
// Not a test: it asserts nothing; it prints figures.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace pl = speerd::pipeline;

struct Figures {
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::size_t n = 0;
  std::size_t failed = 0;
};

Figures summarize(std::vector<double> lat_us, double seconds, std::size_t failed) {
  Figures f;
  f.n = lat_us.size();
  f.failed = failed;
  if (lat_us.empty()) return f;
  std::sort(lat_us.begin(), lat_us.end());
  f.per_second = static_cast<double>(lat_us.size()) / seconds;
  f.p50_us = lat_us[lat_us.size() / 2];
  f.p99_us = lat_us[std::min(lat_us.size() - 1, lat_us.size() * 99 / 100)];
  return f;
}

// Keeps `concurrency` lookups in flight on one pipeline for `seconds`.
Figures closed_loop(boost::asio::io_context& io, pl::Pipeline& p,
                    const std::vector<std::string>& numbers, int concurrency, double seconds) {
  std::vector<double> lat;
  lat.reserve(1 << 20);
  std::size_t failed = 0;
  std::size_t next = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  bool stopping = false;
  std::function<void()> issue = [&] {
    const auto t0 = Clock::now();
    const std::string& n = numbers[next++ % numbers.size()];
    p.lookup({n, "", {}}, [&, t0](pl::ResultPtr r) {
      const auto t1 = Clock::now();
      lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      if (r->verdict != speerd::model::Verdict::route) ++failed;
      if (!stopping && t1 < end) {
        issue();
      } else {
        stopping = true;
      }
    });
  };
  for (int i = 0; i < concurrency; ++i) issue();
  io.restart();
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return summarize(std::move(lat), elapsed, failed);
}

void print(const char* what, const Figures& f) {
  std::printf("%-44s %10.0f lookups/s  p50 %8.1f us  p99 %8.1f us  (n=%zu, not routed=%zu)\n", what,
              f.per_second, f.p50_us, f.p99_us, f.n, f.failed);
}

double resolve_us(boost::asio::io_context& io, speerd::dns::Client& c,
                  const std::vector<std::pair<std::string, std::uint16_t>>& parallel) {
  const auto t0 = Clock::now();
  for (const auto& [name, type] : parallel) c.resolve(name, type, [](speerd::dns::Answer) {});
  io.restart();
  io.run();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_pipeline: in-process lookup throughput and latency"};
  std::string config;
  double seconds = 5;
  int concurrency = 100;
  int cold_rounds = 200;
  std::vector<std::string> numbers{"+12155551234", "+12155551235", "+12155551236",
                                   "+12155551238", "+12155559999", "+442071234567"};
  app.add_option("-c,--config", config, "speerd.toml (e.g. a testbed's)")->required();
  app.add_option("--seconds", seconds, "duration of each closed-loop run");
  app.add_option("--concurrency", concurrency, "lookups in flight");
  app.add_option("--cold-rounds", cold_rounds, "fresh-context lookups for the critical-path ratio");
  app.add_option("--numbers", numbers, "numbers to look up")->allow_extra_args(false);
  std::string mode = "all";
  app.add_option("--mode", mode, "warm | cold | critical-path | all")
      ->check(CLI::IsMember({"warm", "cold", "critical-path", "all"}));
  CLI11_PARSE(app, argc, argv);

  auto loaded = speerd::config::load_resolver_config(config);
  if (!loaded) {
    std::fprintf(stderr, "bench_pipeline: %s\n", loaded.error().c_str());
    return 1;
  }
  auto cfg = std::make_shared<const speerd::config::ResolverConfig>(*loaded);
  std::printf("bench_pipeline: %zu numbers, concurrency %d, %.0f s per run, one thread\n",
              numbers.size(), concurrency, seconds);

  const bool all = mode == "all";
  if (all || mode == "warm") {  // Warm: every number cached in speerd's cache.
    boost::asio::io_context io;
    auto client = speerd::dns::UnboundClient::create(io, cfg->dns);
    if (!client) return std::fprintf(stderr, "%s\n", client.error().c_str()), 1;
    pl::Pipeline p(io, **client, cfg);
    closed_loop(io, p, numbers, static_cast<int>(numbers.size()), 0.5);  // fill
    print("warm (speerd cache hit), full lookup",
          closed_loop(io, p, numbers, concurrency, seconds));
  }
  if (all ||
      mode == "cold") {  // Cold speerd cache, warm libunbound cache: the pipeline's own work.
    boost::asio::io_context io;
    auto client = speerd::dns::UnboundClient::create(io, cfg->dns);
    if (!client) return 1;
    auto nocache = std::make_shared<speerd::config::ResolverConfig>(*cfg);
    nocache->cache.max_entries = 0;
    pl::Pipeline p(io, **client, nocache);
    closed_loop(io, p, numbers, 1, 0.5);  // warm libunbound
    print("cold speerd cache, warm libunbound cache",
          closed_loop(io, p, numbers, concurrency, seconds));
  }
  if (all || mode == "critical-path") {  // Fully cold: a fresh libunbound context per lookup
                                         // (DNSKEYs, DS, every
    // name fetched from the authoritative servers). Compare with the DNS
    // round trips on the lookup's critical path, measured the same way.
    const std::string number = "+12155551234";
    std::vector<double> full, path;
    for (int i = 0; i < cold_rounds; ++i) {
      {
        boost::asio::io_context io;
        auto client = speerd::dns::UnboundClient::create(io, cfg->dns);
        if (!client) return 1;
        pl::Pipeline p(io, **client, cfg);
        const auto t0 = Clock::now();
        p.lookup({number, "", {}}, [](pl::ResultPtr) {});
        io.run();
        full.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      {
        // The critical path of +12155551234: ENUM NAPTR -> peer NAPTR ->
        // the SRV queries (parallel) -> the address queries (parallel).
        using speerd::dns::rrtype::A;
        using speerd::dns::rrtype::AAAA;
        using speerd::dns::rrtype::NAPTR;
        using speerd::dns::rrtype::SRV;
        boost::asio::io_context io;
        auto client = speerd::dns::UnboundClient::create(io, cfg->dns);
        if (!client) return 1;
        auto& c = **client;
        double t = resolve_us(io, c, {{"4.3.2.1.5.5.5.5.1.2.1.e164.example.", NAPTR}});
        t += resolve_us(io, c, {{"good.peers.example.", NAPTR}});
        t += resolve_us(io, c,
                        {{"_sips._tcp.good.peers.example.", SRV},
                         {"_sip._tcp.good.peers.example.", SRV},
                         {"_sip._udp.good.peers.example.", SRV}});
        t += resolve_us(io, c,
                        {{"sip1.good.peers.example.", A},
                         {"sip1.good.peers.example.", AAAA},
                         {"sip2.good.peers.example.", A},
                         {"sip2.good.peers.example.", AAAA},
                         {"sip3.good.peers.example.", A},
                         {"sip3.good.peers.example.", AAAA}});
        path.push_back(t);
      }
    }
    auto med = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double f = med(full), q = med(path);
    std::printf("cold lookup (fresh libunbound context), median over %d: %.0f us\n", cold_rounds,
                f);
    std::printf("DNS round trips on its critical path, measured alone:  %.0f us\n", q);
    std::printf("ratio cold lookup / critical-path DNS: %.2fx\n", f / q);
  }
  return 0;
}
