#include "tools/bench/lookup_load.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace speerd::bench {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

// A connection that failed is opened again after this pause, not in a spin.
constexpr std::chrono::milliseconds kRetryPause{100};
// Requests in flight when sending ends may answer this long after.
constexpr std::chrono::seconds kGrace{2};

std::atomic<long> g_started{0};
std::atomic<int> g_shown{0};

void complain(const char* what, const char* detail) {
  if (g_shown++ < 5) std::fprintf(stderr, "bench_api: %s: %s\n", what, detail);
}

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool busy = false;           // a request is in flight
  bool write_pending = false;  // SSL_write wants to be called again
  bool close_after = false;    // the answer said Connection: close
  Clock::time_point due;       // paced: when the next request is scheduled
  Clock::time_point sched;     // the request in flight: its scheduled time
  Clock::time_point retry_at;  // closed: when to open again
  std::string in;
  std::size_t need = 0;  // bytes of the whole answer, once its header is in
};

class Loop {
 public:
  Loop(const LookupLoadOptions& o, SSL_CTX* ctx, int first, int n)
      : o_(o), ctx_(ctx), conns_(static_cast<std::size_t>(n)), first_(first) {
    request_ = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n";
    if (o.rate > 0) {
      interval_ =
          duration_cast<Clock::duration>(std::chrono::duration<double>(o.connections / o.rate));
    }
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      // Spread paced connections evenly over one interval.
      conns_[static_cast<std::size_t>(i)].due =
          start + interval_ * (first + i) / std::max(1, o.connections);
    }
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop() {
    for (auto& c : conns_) close(c);
    if (ep_ >= 0) ::close(ep_);
  }

  void run();
  LoadStats stats;

 private:
  bool may_send(Clock::time_point now) const {
    return now < o_.end && (o_.count == 0 || g_started.load(std::memory_order_relaxed) < o_.count);
  }
  bool open(Conn& c);
  void close(Conn& c);
  void send(Conn& c, Clock::time_point sched);
  void write(Conn& c);
  void on_event(Conn& c, std::uint32_t events);
  void on_read(Conn& c);
  void answered(Conn& c, bool ok);
  void fail(Conn& c, const char* what, const char* detail = nullptr);
  void watch(Conn& c, bool out);

  const LookupLoadOptions& o_;
  SSL_CTX* ctx_;
  std::vector<Conn> conns_;
  int first_;  // index of conns_[0] among all connections
  std::string request_;
  Clock::duration interval_{};
  int ep_ = -1;
  char buf_[16384];
};

bool Loop::open(Conn& c) {
  const auto due = c.due;  // the schedule goes on across a reconnect
  c = Conn{};
  c.due = due;
  const bool v6 = o_.host == "::1";
  c.fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    complain("socket", std::strerror(errno));
    return false;
  }
  int rc = 0;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(o_.port);
    a.sin6_addr = in6addr_loopback;
    rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(o_.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    complain("connect", std::strerror(errno));
    close(c);
    return false;
  }
  const int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.ssl = SSL_new(ctx_);
  static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(c.ssl, alpn, sizeof alpn);
  // The server certificate must name the address connected to.
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl), v6 ? "::1" : "127.0.0.1");
  SSL_set_fd(c.ssl, c.fd);
  if (SSL_connect(c.ssl) != 1) {  // blocking: the socket is made non-blocking after
    complain("handshake", ERR_reason_error_string(ERR_get_error()));
    ERR_clear_error();
    close(c);
    return false;
  }
  ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &c;
  ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  return true;
}

void Loop::close(Conn& c) {
  if (c.ssl) {
    // Freeing an SSL that did not shut down is fine for a client that never
    // resumes; no close_notify is needed for the measurement.
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  if (c.fd >= 0) {
    ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
  }
  c.busy = false;
  c.write_pending = false;
}

void Loop::watch(Conn& c, bool out) {
  epoll_event ev{};
  ev.events = EPOLLIN | (out ? EPOLLOUT : 0U);
  ev.data.ptr = &c;
  ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
}

void Loop::send(Conn& c, Clock::time_point sched) {
  g_started.fetch_add(1, std::memory_order_relaxed);
  c.busy = true;
  c.sched = sched;
  c.in.clear();
  c.need = 0;
  write(c);
}

void Loop::write(Conn& c) {
  const int n = SSL_write(c.ssl, request_.data(), static_cast<int>(request_.size()));
  if (n > 0) {
    if (c.write_pending) watch(c, false);
    c.write_pending = false;
    return;
  }
  const int e = SSL_get_error(c.ssl, n);
  if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
    if (!c.write_pending) watch(c, true);
    c.write_pending = true;  // called again with the same buffer on EPOLLOUT
    return;
  }
  fail(c, "write");
}

void Loop::on_event(Conn& c, std::uint32_t events) {
  if (c.fd < 0) return;
  if (c.write_pending && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
    write(c);
    if (c.fd < 0 || c.write_pending) return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) on_read(c);
}

// Minimal HTTP/1.1 response framing: the header, then Content-Length bytes.
void Loop::on_read(Conn& c) {
  errno = 0;
  const int n = SSL_read(c.ssl, buf_, sizeof buf_);
  if (n <= 0) {
    const int e = SSL_get_error(c.ssl, n);
    if (e == SSL_ERROR_WANT_READ) return;  // a session ticket, or a part of a record
    if (e == SSL_ERROR_WANT_WRITE) return watch(c, true);
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) {
      return fail(c, "read", "the server closed the connection (refused client?)");
    }
    return fail(c, "read");
  }
  if (!c.busy) return fail(c, "unexpected bytes");
  c.in.append(buf_, static_cast<std::size_t>(n));
  if (c.need == 0) {
    const auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    const auto cl = c.in.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) return answered(c, false);
    c.need = end + 4 + std::strtoul(c.in.c_str() + cl + 16, nullptr, 10);
    const auto close = c.in.find("Connection: close");
    c.close_after = close != std::string::npos && close < end;
  }
  if (c.in.size() < c.need) return;
  answered(c, c.in.compare(0, 12, "HTTP/1.1 200") == 0);
}

void Loop::answered(Conn& c, bool ok) {
  const auto now = Clock::now();
  c.busy = false;
  if (now >= o_.warm && c.sched < o_.end) {
    if (ok) {
      ++stats.ok;
      stats.latency_us.push_back(
          static_cast<std::uint32_t>(duration_cast<microseconds>(now - c.sched).count()));
      if (o_.keep_samples) {
        stats.samples.push_back({duration_cast<microseconds>(c.sched - o_.warm).count(),
                                 stats.latency_us.back(),
                                 first_ + static_cast<int>(&c - conns_.data())});
      }
    } else {
      ++stats.errors;
    }
  }
  if (c.close_after) {  // the server's requests-per-connection limit: open a new one
    close(c);
    ++stats.reconnects;
    c.retry_at = now;
    return;
  }
  if (interval_ == Clock::duration{} && may_send(now)) send(c, now);
}

void Loop::fail(Conn& c, const char* what, const char* detail) {
  const unsigned long tls_error = ERR_get_error();
  if (detail == nullptr) {
    detail = tls_error != 0 ? ERR_reason_error_string(tls_error) : std::strerror(errno);
  }
  complain(what, detail != nullptr ? detail : "unknown error");
  ERR_clear_error();
  const auto now = Clock::now();
  if (c.busy && now >= o_.warm && now < o_.end) ++stats.errors;
  close(c);
  c.retry_at = now + kRetryPause;
}

void Loop::run() {
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto& c : conns_) {
    if (!open(c)) c.retry_at = Clock::now() + kRetryPause;
  }
  epoll_event events[64];
  Clock::time_point stopped = Clock::time_point::max();  // when sending ended
  for (;;) {
    auto now = Clock::now();
    const bool sending = may_send(now);
    if (!sending) stopped = std::min(stopped, now);
    bool in_flight = false;
    auto wake = sending ? o_.end : now + kGrace;
    for (auto& c : conns_) {
      if (sending && c.fd < 0 && c.retry_at <= now) {
        if (!open(c)) c.retry_at = now + kRetryPause;
        now = Clock::now();
      }
      if (c.fd < 0) {
        if (sending) wake = std::min(wake, c.retry_at);
        continue;
      }
      if (c.busy) {
        in_flight = true;
        continue;
      }
      if (!sending) continue;
      if (interval_ == Clock::duration{}) {
        send(c, now);
      } else if (c.due <= now) {
        send(c, c.due);  // behind schedule: now, latency still counts from c.due
        c.due += interval_;
      } else {
        wake = std::min(wake, c.due);
        continue;
      }
      in_flight = in_flight || c.busy;
    }
    if (!sending && !in_flight) return;
    if (!sending && now >= stopped + kGrace) return;  // answers still missing count as none
    const auto wait = std::max(nanoseconds(0), duration_cast<nanoseconds>(wake - now));
    timespec ts{static_cast<time_t>(wait.count() / 1000000000),
                static_cast<long>(wait.count() % 1000000000)};
    const int n = ::epoll_pwait2(ep_, events, 64, &ts, nullptr);
    for (int i = 0; i < n; ++i) {
      on_event(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
    }
  }
}

}  // namespace

LoadStats run_lookup_load(const LookupLoadOptions& o, SSL_CTX* ctx) {
  const int threads = std::clamp(o.threads, 1, std::max(1, o.connections));
  std::vector<std::unique_ptr<Loop>> loops;
  int first = 0;
  for (int t = 0; t < threads; ++t) {
    const int n = o.connections / threads + (t < o.connections % threads ? 1 : 0);
    loops.push_back(std::make_unique<Loop>(o, ctx, first, n));
    first += n;
  }
  std::vector<std::thread> running;
  running.reserve(loops.size());
  for (auto& l : loops) running.emplace_back([&l] { l->run(); });
  for (auto& t : running) t.join();
  LoadStats all;
  for (auto& l : loops) {
    all.ok += l->stats.ok;
    all.errors += l->stats.errors;
    all.reconnects += l->stats.reconnects;
    all.latency_us.insert(all.latency_us.end(), l->stats.latency_us.begin(),
                          l->stats.latency_us.end());
    all.samples.insert(all.samples.end(), l->stats.samples.begin(), l->stats.samples.end());
  }
  return all;
}

}  // namespace speerd::bench
