// bench_api: load generator for speerd's mTLS API (loopback only).
//
//   bench_api --port 5443 --cert c.crt --key c.key --ca ca.crt
//             --connections 32 --duration 10 [--rate 20000] [--path /v1/lookup?number=+12155551234]
//   bench_api ... --handshakes [--resume] --connections 8 --duration 5
//
// Lookup mode (lookup_load.cpp): keep-alive connections, one request in
// flight each; reports lookups/s and latency percentiles. With --rate the
// load is paced (total requests/s spread over the connections) and latency
// is measured from each request's scheduled time, so a stall is not hidden
// by sending later.
// Handshake mode (Asio here): each operation is connect + TLS handshake +
// one request + close; --resume offers the previous connection's session
// ticket.
// A benchmark, not a test: nothing here asserts anything.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "tools/bench/lookup_load.hpp"

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using speerd::bench::Clock;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5443;
  std::string cert, key, ca;
  std::string path = "/v1/lookup?number=+12155551234";
  int connections = 32;
  int threads = 1;
  double duration = 10;
  long count = 0;     // stop after this many operations in total (0: duration only)
  double rate = 0;    // lookups: total requests/s (0: as fast as answers come)
  double warmup = 1;  // seconds not counted
  bool handshakes = false;
  bool resume = false;
  std::string latency_log;  // lookups: write every answer's schedule and latency here
};

struct Stats {
  std::vector<std::uint32_t> latency_us;
  long ok = 0;
  long errors = 0;
  long resumed = 0;
};

std::atomic<long> g_started{0};

class Worker;

// One handshake-mode connection slot: connect, handshake, one lookup, close, again.
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(Worker& w, int index);
  void start();

 private:
  void connect();
  void handshake();
  void send();
  void read();
  void on_read(std::size_t n);
  void done_one(bool ok);
  void fail(const char* what, const error_code& ec);

  Worker& w_;
  int index_;
  std::unique_ptr<ssl::stream<tcp::socket>> s_;
  asio::steady_timer timer_;
  std::string request_;
  std::string in_;
  char buf_[16384];
  Clock::time_point scheduled_;
  std::size_t need_ = 0;
};

class Worker {
 public:
  Worker(const Options& o, ssl::context& ctx, tcp::endpoint ep, int conns, int first_index)
      : o_(o), ctx_(ctx), ep_(ep), conns_(conns), first_(first_index) {}
  void run(Clock::time_point start, Clock::time_point warm, Clock::time_point end) {
    start_ = start;
    warm_ = warm;
    end_ = end;
    for (int i = 0; i < conns_; ++i) std::make_shared<Conn>(*this, first_ + i)->start();
    io_.run();
  }
  bool running() const {
    return Clock::now() < end_ && (o_.count == 0 || g_started.load() < o_.count);
  }
  void record(Clock::time_point sent, bool ok, bool resumed) {
    const auto now = Clock::now();
    if (now < warm_) return;
    if (!ok) {
      ++stats_.errors;
      return;
    }
    ++stats_.ok;
    if (resumed) ++stats_.resumed;
    stats_.latency_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - sent).count()));
  }

  const Options& o_;
  ssl::context& ctx_;
  tcp::endpoint ep_;
  int conns_;
  int first_;
  asio::io_context io_{1};
  Clock::time_point start_, warm_, end_;
  Stats stats_;
  SSL_SESSION* session_ = nullptr;  // the last ticket seen (--resume)
};

Conn::Conn(Worker& w, int index) : w_(w), index_(index), timer_(w.io_) {
  request_ = "GET " + w.o_.path + " HTTP/1.1\r\nHost: " + w.o_.host + "\r\n\r\n";
}

void Conn::start() {
  connect();
}

void Conn::connect() {
  s_ = std::make_unique<ssl::stream<tcp::socket>>(w_.io_, w_.ctx_);
  static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(s_->native_handle(), alpn, sizeof alpn);
  if (w_.o_.resume && w_.session_) SSL_set_session(s_->native_handle(), w_.session_);
  scheduled_ = Clock::now();
  ++g_started;
  s_->next_layer().async_connect(w_.ep_, [self = shared_from_this()](const error_code& ec) {
    if (ec) return self->fail("connect", ec);
    self->s_->next_layer().set_option(tcp::no_delay(true));
    self->handshake();
  });
}

void Conn::handshake() {
  s_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](const error_code& ec) {
    if (ec) return self->fail("handshake", ec);
    self->send();
  });
}

void Conn::send() {
  asio::async_write(*s_, asio::buffer(request_),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      if (ec) return self->fail("write", ec);
                      self->in_.clear();
                      self->need_ = 0;
                      self->read();
                    });
}

void Conn::read() {
  s_->async_read_some(asio::buffer(buf_),
                      [self = shared_from_this()](const error_code& ec, std::size_t n) {
                        if (ec) return self->fail("read", ec);
                        self->on_read(n);
                      });
}

// Minimal HTTP/1.1 response framing: headers, then Content-Length bytes.
void Conn::on_read(std::size_t n) {
  in_.append(buf_, n);
  if (need_ == 0) {
    const auto end = in_.find("\r\n\r\n");
    if (end == std::string::npos) return read();
    const auto cl = in_.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) return done_one(false);
    need_ = end + 4 + std::stoul(in_.substr(cl + 16));
  }
  if (in_.size() < need_) return read();
  const bool ok = in_.compare(0, 12, "HTTP/1.1 200") == 0;
  done_one(ok);
}

void Conn::done_one(bool ok) {
  const bool resumed = SSL_session_reused(s_->native_handle()) == 1;
  w_.record(scheduled_, ok, resumed);
  if (w_.o_.resume) {
    if (SSL_SESSION* s = SSL_get1_session(s_->native_handle())) {
      if (w_.session_) SSL_SESSION_free(w_.session_);
      w_.session_ = s;
    }
  }
  // Freeing an SSL that did not shut down would make its session unusable.
  SSL_set_shutdown(s_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  error_code ignored;
  s_->next_layer().close(ignored);
  if (w_.running()) connect();
}

void Conn::fail(const char* what, const error_code& ec) {
  if (!w_.running()) return;
  static std::atomic<int> shown{0};
  if (shown++ < 5) std::fprintf(stderr, "bench_api: %s: %s\n", what, ec.message().c_str());
  w_.record(scheduled_, false, false);
  error_code ignored;
  s_->next_layer().close(ignored);
  // Reconnect after a pause rather than spinning.
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([self = shared_from_this()](const error_code& e) {
    if (!e && self->w_.running()) self->connect();
  });
}

bool write_latency_log(const std::string& path, std::vector<speerd::bench::Sample>& samples) {
  std::sort(samples.begin(), samples.end(),
            [](const auto& a, const auto& b) { return a.scheduled_us < b.scheduled_us; });
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "bench_api: cannot write %s\n", path.c_str());
    return false;
  }
  std::fprintf(f, "# scheduled_ms latency_ms connection\n");
  for (const auto& s : samples) {
    std::fprintf(f, "%.3f %.3f %d\n", static_cast<double>(s.scheduled_us) / 1000.0,
                 s.latency_us / 1000.0, s.connection);
  }
  return std::fclose(f) == 0;
}

double percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bench_api: load generator for speerd's mTLS API"};
  app.add_option("--host", o.host, "server address (loopback only)")->capture_default_str();
  app.add_option("--port", o.port, "server port")->capture_default_str();
  app.add_option("--cert", o.cert, "client certificate")->required();
  app.add_option("--key", o.key, "client key")->required();
  app.add_option("--ca", o.ca, "CA of the server certificate")->required();
  app.add_option("--path", o.path, "request target")->capture_default_str();
  app.add_option("-c,--connections", o.connections, "connections")->capture_default_str();
  app.add_option("-t,--threads", o.threads, "client threads")->capture_default_str();
  app.add_option("-d,--duration", o.duration, "seconds to measure (after warm-up)")
      ->capture_default_str();
  app.add_option("-n,--count", o.count, "stop after this many requests (0: no limit)");
  app.add_option("-r,--rate", o.rate, "total requests/s, paced (0: closed loop)");
  app.add_option("--warmup", o.warmup, "seconds not counted")->capture_default_str();
  app.add_flag("--handshakes", o.handshakes, "measure new connections (handshake + 1 request)");
  app.add_flag("--resume", o.resume, "with --handshakes: resume TLS sessions");
  app.add_option("--latency-log", o.latency_log,
                 "lookups: write 'scheduled_ms latency_ms connection' per answer to this file, "
                 "in schedule order (to see whether slow answers come alone or together)");
  CLI11_PARSE(app, argc, argv);
  if (o.host != "127.0.0.1" && o.host != "::1" && o.host != "localhost") {
    std::fprintf(stderr, "bench_api: loopback only\n");
    return 2;
  }
  o.duration = std::min(o.duration, 300.0);  // bounded

  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.load_verify_file(o.ca);
  ctx.use_certificate_chain_file(o.cert);
  ctx.use_private_key_file(o.key, ssl::context::pem);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION);
  SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_OFF);
  const tcp::endpoint ep(asio::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host),
                         o.port);

  const auto start = Clock::now();
  const auto warm =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  const auto end =
      warm + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  if (!o.handshakes) {
    speerd::bench::LookupLoadOptions lo;
    lo.host = o.host == "localhost" ? "127.0.0.1" : o.host;
    lo.port = o.port;
    lo.path = o.path;
    lo.connections = o.connections;
    lo.threads = o.threads;
    lo.count = o.count;
    lo.rate = o.rate;
    lo.warm = warm;
    lo.end = end;
    lo.keep_samples = !o.latency_log.empty();
    auto st = speerd::bench::run_lookup_load(lo, ctx.native_handle());
    if (lo.keep_samples && !write_latency_log(o.latency_log, st.samples)) return 1;
    const double seconds =
        std::chrono::duration<double>(std::min(Clock::now(), end) - warm).count();
    if (seconds <= 0) {
      std::fprintf(stderr, "bench_api: the run ended before the warm-up did (--warmup)\n");
      return 1;
    }
    const double p50 = percentile(st.latency_us, 0.50);
    const double p99 = percentile(st.latency_us, 0.99);
    const double p999 = percentile(st.latency_us, 0.999);
    std::printf(
        "mode=lookups connections=%d threads=%d rate=%s seconds=%.1f lookups=%ld "
        "lookups_per_s=%.0f errors=%ld p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f reconnects=%ld\n",
        o.connections, o.threads,
        o.rate > 0 ? std::to_string(static_cast<long>(o.rate)).c_str() : "max", seconds, st.ok,
        static_cast<double>(st.ok) / seconds, st.errors, p50, p99, p999, st.reconnects);
    return st.errors > 0 && st.ok == 0 ? 1 : 0;
  }
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  const int per = std::max(1, o.connections / std::max(1, o.threads));
  for (int t = 0; t < o.threads; ++t) {
    workers.push_back(std::make_unique<Worker>(o, ctx, ep, per, t * per));
  }
  for (auto& w : workers) {
    threads.emplace_back([&w, start, warm, end] { w->run(start, warm, end); });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::min(Clock::now(), end) - warm).count();

  Stats all;
  for (auto& w : workers) {
    all.ok += w->stats_.ok;
    all.errors += w->stats_.errors;
    all.resumed += w->stats_.resumed;
    all.latency_us.insert(all.latency_us.end(), w->stats_.latency_us.begin(),
                          w->stats_.latency_us.end());
    if (w->session_) SSL_SESSION_free(w->session_);
  }
  const double p50 = percentile(all.latency_us, 0.50);
  const double p99 = percentile(all.latency_us, 0.99);
  std::printf(
      "mode=handshakes resume=%s connections=%d seconds=%.1f handshakes=%ld "
      "handshakes_per_s=%.0f resumed=%ld errors=%ld p50_ms=%.3f p99_ms=%.3f\n",
      o.resume ? "yes" : "no", o.connections, seconds, all.ok, all.ok / seconds, all.resumed,
      all.errors, p50, p99);
  return all.errors > 0 && all.ok == 0 ? 1 : 0;
}
