// The lookup mode of bench_api: keep-alive mTLS connections, one request in
// flight each, driven by one epoll loop per thread with OpenSSL on the
// socket directly.
//
// Why not Asio here: on a 2-core machine the load generator shares the cores
// with the server it measures. With asio::ssl::stream and one timer per paced
// request the generator spent ~25 us of CPU per request (more than speerd
// answering it), so at half load its own queueing showed up as the server's
// p99. This loop costs a send, an epoll_wait and a read per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <openssl/ssl.h>

namespace speerd::bench {

using Clock = std::chrono::steady_clock;

struct LookupLoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5443;
  std::string path;
  int connections = 32;
  int threads = 1;
  long count = 0;             // stop after this many requests in total (0: until `end`)
  double rate = 0;            // total requests/s, paced (0: closed loop)
  Clock::time_point warm;     // answers before this are not counted
  Clock::time_point end;      // no request is sent after this
  bool keep_samples = false;  // fill LoadStats::samples
};

// One counted answer, for a latency log: when it was scheduled (from the
// end of the warm-up), how long it took, on which connection.
struct Sample {
  std::int64_t scheduled_us;
  std::uint32_t latency_us;
  int connection;
};

struct LoadStats {
  std::vector<std::uint32_t> latency_us;  // of the counted successful answers
  long ok = 0;
  long errors = 0;
  long reconnects = 0;
  std::vector<Sample> samples;  // with keep_samples: every counted answer
};

// Runs the load on `threads` threads and returns what they counted. With a
// rate, connection i sends at start + i * interval / connections + k *
// interval, and a request's latency counts from that scheduled time, so a
// stall (of either side) is not hidden by sending later.
LoadStats run_lookup_load(const LookupLoadOptions& o, SSL_CTX* ctx);

}  // namespace speerd::bench
