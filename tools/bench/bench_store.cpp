// bench_store: SED store figures on a big store.
//
//   bench_store --store sqlite:/tmp/bench.db            (a new file)
//   bench_store --store postgresql://postgres@127.0.0.1:PORT/bench   (an empty database)
//
// 1. Fills the store with --identifiers public identifiers (80% numbers, 10%
//    ranges of 1000 numbers, 10% prefixes) in 1,000,000-row CSV imports through
//    the importer speerctl uses (sed-store/transfer.hpp: parse + one apply per
//    file). The last chunk is written to a file and imported from it: that is
//    the "import of 1M rows" figure.
// 2. Runs --lookups random longest-match lookups (find_destination: identifier
//    match + the SED of the route groups the client may see) after a warm-up,
//    and prints p50/p90/p99/p99.9/max and lookups/s. The mix: 40% exact
//    numbers, 20% numbers inside ranges, 20% numbers under prefixes, 20% misses.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sed-store/store.hpp"
#include "sed-store/transfer.hpp"

namespace {

namespace st = speerd::store;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunkRows = 1'000'000;
constexpr std::size_t kDestGroups = 1000;

// User + system CPU time of this process (on a shared machine, wall time
// includes time spent waiting for a core).
double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The identifier space: numbers, ranges and prefixes live in disjoint blocks,
// so every generated row is unique and no two ranges overlap.
//   numbers   12xxxxxxxxx: 12000000000 + 7 i            (11 digits)
//   ranges    13xxxxxxxxx: [13000000000 + 1000 j, +999]  (11 digits)
//   prefixes  14xxxxxxx:   1410000000 + k               (10 digits)
struct Space {
  std::size_t numbers, ranges, prefixes;
  explicit Space(std::size_t total)
      : numbers(total * 8 / 10),
        ranges(total / 10),
        prefixes(total - total * 8 / 10 - total / 10) {}
  static std::string number(std::size_t i) { return std::to_string(12000000000ULL + 7ULL * i); }
  static std::string range_start(std::size_t j) {
    return std::to_string(13000000000ULL + 1000ULL * j);
  }
  static std::string range_end(std::size_t j) {
    return std::to_string(13000000000ULL + 1000ULL * j + 999);
  }
  static std::string prefix(std::size_t k) { return std::to_string(1410000000ULL + k); }
  static std::string dg(std::size_t i) { return "dg" + std::to_string(i % kDestGroups); }
};

// Row r of the fill (0 <= r < total) as a CSV line.
std::string row(const Space& sp, std::size_t r) {
  if (r < sp.numbers) return "number," + Space::dg(r) + "," + Space::number(r) + "\n";
  r -= sp.numbers;
  if (r < sp.ranges) {
    return "range," + Space::dg(r) + "," + Space::range_start(r) + "," + Space::range_end(r) + "\n";
  }
  r -= sp.ranges;
  return "prefix," + Space::dg(r) + "," + Space::prefix(r) + "\n";
}

// Rows [from, to) in an order that mixes the kinds (as real files do): a
// multiplicative permutation of the row numbers.
std::string chunk(const Space& sp, std::size_t from, std::size_t to, std::size_t total) {
  std::string out;
  out.reserve((to - from) * 32);
  // i -> i * 2654435761 mod total is a permutation when the two are coprime;
  // otherwise keep the rows in order.
  const bool permute = std::gcd(total, std::size_t{2654435761ULL}) == 1;
  for (std::size_t i = from; i < to; ++i) {
    const std::size_t r = permute ? (i * 2654435761ULL) % total : i;
    out += row(sp, r);
  }
  return out;
}

std::string setup_csv() {
  std::string out = "client,bench-client,CN=bench.example,,1000000,1000000,true,e164.arpa,\n";
  for (std::size_t g = 0; g < kDestGroups; ++g) out += "dest-group,dg" + std::to_string(g) + ",\n";
  for (std::size_t g = 0; g < kDestGroups; ++g) {
    const std::string rg = "rg" + std::to_string(g);
    out += "route-group," + rg + ",10,true,dg" + std::to_string(g) + ",\n";
    out += "sed," + rg + ",10,,sbc" + std::to_string(g) + ".peer.example,5061,tls\n";
    out += "sed," + rg + ",20,sip:peer" + std::to_string(g) + ".example;transport=tcp,,,\n";
    out += "offer," + rg + ",bench-client\n";
  }
  return out;
}

void must(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "bench_store: %s\n", what.c_str());
    std::exit(1);
  }
}

double import_text(st::Store& s, const std::string& text) {
  std::istringstream in(text);
  const auto t0 = Clock::now();
  auto r = st::transfer::import(s, in, st::transfer::Format::csv, st::WriteContext{"bench"});
  must(r.has_value(), r ? "" : "import: " + r.error().message);
  return seconds_since(t0);
}

struct Percentiles {
  double p50, p90, p99, p999, max;
};

Percentiles percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
  };
  return {at(0.50), at(0.90), at(0.99), at(0.999), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bench_store: fill a SED store, then time longest-match lookups and a 1M-row import"};
  std::string uri;
  std::size_t total = 10'000'000;
  std::size_t lookups = 200'000;
  std::size_t warmup = 50'000;
  std::string import_file = "/tmp/bench_store_import.csv";
  app.add_option("--store", uri, "sqlite:PATH (new) or postgresql://... (empty database)")
      ->required();
  app.add_option("--identifiers", total, "public identifiers to fill in")->capture_default_str();
  app.add_option("--lookups", lookups, "timed lookups")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed lookups first")->capture_default_str();
  app.add_option("--import-file", import_file, "where the last 1M-row CSV chunk is written")
      ->capture_default_str();
  bool lookups_only = false;
  app.add_flag(
      "--lookups-only", lookups_only,
      "skip the fill: the store holds the fill of an earlier run with these --identifiers");
  CLI11_PARSE(app, argc, argv);
  must(total >= 2 * kChunkRows, "--identifiers must be at least 2000000");

  st::OpenOptions oo;
  oo.create = true;
  auto opened = st::open_store(uri, oo);
  must(opened.has_value(), opened ? "" : "open: " + opened.error().message);
  auto& s = **opened;
  auto info = s.info();
  must(info.has_value(), "info");
  must(lookups_only ? info->public_identifiers == total : info->public_identifiers == 0,
       lookups_only ? "the store does not hold --identifiers identifiers"
                    : "the store must be empty");

  std::printf("store %s\n", info->backend.c_str());
  const Space sp(total);
  if (!lookups_only) {
    import_text(s, setup_csv());

    // Fill all but the last chunk from memory, then the last one from a file.
    const auto fill0 = Clock::now();
    const std::size_t last_from = total - kChunkRows;
    for (std::size_t from = 0; from < last_from; from += kChunkRows) {
      const std::size_t to = std::min(last_from, from + kChunkRows);
      const double secs = import_text(s, chunk(sp, from, to, total));
      std::printf("  fill rows %zu-%zu: %.2f s (%.0f rows/s)\n", from, to, secs,
                  (to - from) / secs);
      std::fflush(stdout);
    }
    {
      std::ofstream out(import_file, std::ios::binary | std::ios::trunc);
      out << chunk(sp, last_from, total, total);
    }
    {
      // How much of the import is reading and parsing the file.
      const double c0 = process_cpu_seconds();
      const auto t0 = Clock::now();
      std::ifstream in(import_file, std::ios::binary);
      auto parsed = st::transfer::parse(in, st::transfer::Format::csv);
      must(parsed.has_value(), "parse");
      std::printf("  (parsing the file alone: %.2f s wall, %.2f s cpu)\n", seconds_since(t0),
                  process_cpu_seconds() - c0);
    }
    const double cpu0 = process_cpu_seconds();
    const auto imp0 = Clock::now();
    {
      std::ifstream in(import_file, std::ios::binary);
      auto r = st::transfer::import(s, in, st::transfer::Format::csv, st::WriteContext{"bench"});
      must(r.has_value(), r ? "" : "import: " + r.error().message);
      must(r->rows == kChunkRows, "import row count");
    }
    const double import_secs = seconds_since(imp0);
    const double import_cpu = process_cpu_seconds() - cpu0;
    std::printf(
        "import of %zu rows from %s (store already holding %zu): %.2f s wall, %.2f s cpu "
        "(%.0f rows/s)\n",
        kChunkRows, import_file.c_str(), last_from, import_secs, import_cpu,
        kChunkRows / import_secs);
    std::printf("fill total: %zu identifiers in %.1f s\n", total, seconds_since(fill0));
    info = s.info();
    must(info && info->public_identifiers == total, "identifier count after the fill");
  }

  auto client = s.find_client({st::ClientIdentity::Kind::cert_name, "CN=bench.example"});
  must(client && *client, "bench client");
  const st::ClientRef ref{(*client)->id};

  // The lookup mix.
  std::mt19937_64 rng(20240601);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  struct Query {
    std::string digits;
    bool hit;
    int type;  // 0 number, 1 range, 2 prefix, 3 miss
  };
  auto make = [&](std::size_t q) -> Query {
    switch (q % 5) {
      case 0:
      case 1:
        return {Space::number(pick(sp.numbers)), true, 0};
      case 2:
        return {std::to_string(13000000000ULL + 1000ULL * pick(sp.ranges) + pick(1000)), true, 1};
      case 3:
        return {Space::prefix(pick(sp.prefixes)) + std::to_string(pick(10)), true, 2};
      default:
        return {std::to_string(16000000000ULL + pick(999999999)), false, 3};
    }
  };
  std::vector<Query> queries;
  queries.reserve(warmup + lookups);
  for (std::size_t i = 0; i < warmup + lookups; ++i) queries.push_back(make(pick(1000)));

  // Wall time per lookup, and the thread's CPU time per lookup: on a shared
  // machine the wall-clock tail includes time the thread was not running.
  std::size_t wrong = 0;
  std::vector<double> wall_us;
  std::vector<double> cpu_us;
  std::vector<double> by_type[4];
  wall_us.reserve(lookups);
  cpu_us.reserve(lookups);
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
  };
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const double c0 = cpu_now();
    const auto t0 = Clock::now();
    auto d = s.find_destination(queries[i].digits, ref);
    const auto t1 = Clock::now();
    const double c1 = cpu_now();
    must(d.has_value(), d ? "" : "lookup: " + d.error());
    if (d->has_value() != queries[i].hit || (d->has_value() && (**d).routes.size() != 2)) ++wrong;
    if (i >= warmup) {
      wall_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      cpu_us.push_back(c1 - c0);
      by_type[queries[i].type].push_back(c1 - c0);
    }
  }
  must(wrong == 0, std::to_string(wrong) + " lookups gave the wrong answer");
  double sum = 0;
  for (double v : wall_us) sum += v;
  std::printf(
      "longest match (find_destination incl. SED), %zu lookups after %zu warm-up, one thread,"
      " %.0f lookups/s:\n",
      lookups, warmup, lookups / (sum / 1e6));
  for (const auto& [name, v] : {std::pair{"wall", &wall_us}, {"cpu ", &cpu_us}}) {
    const Percentiles p = percentiles(*v);
    std::printf("  %s  p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n", name,
                p.p50, p.p90, p.p99, p.p999, p.max);
  }
  const char* kTypeNames[] = {"exact number", "in a range", "under a prefix", "no match"};
  for (int t = 0; t < 4; ++t) {
    const Percentiles p = percentiles(by_type[t]);
    std::printf("  cpu, %-14s  p50 %.1f us  p99 %.1f us\n", kTypeNames[t], p.p50, p.p99);
  }
  std::filesystem::remove(import_file);
  return 0;
}
