#include "resolver/dns/unbound_client.hpp"

#include <unbound.h>

#include <ldns/ldns.h>
#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <fstream>
#include <unordered_map>

#include "resolver/dns/insecure_reason.hpp"
#include "resolver/dns/packet.hpp"

namespace speerd::dns {

namespace asio = boost::asio;

namespace {

std::string lower_fqdn(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name.empty() || name.back() != '.') name.push_back('.');
  return name;
}

Answer to_answer(const std::string& qname, std::uint16_t qtype, int err, ub_result* r) {
  Answer a;
  a.qname = qname;
  a.qtype = qtype;
  if (err != 0 || r == nullptr) {
    a.rcode = rcode::kServFail;
    a.outcome = Outcome::indeterminate(std::string("resolver error: ") + ub_strerror(err),
                                       ede::kNetworkError);
    return a;
  }
  a.rcode = r->rcode;
  a.havedata = r->havedata != 0;
  if (r->canonname != nullptr) a.canonname = lower_fqdn(r->canonname);
  if (r->answer_packet != nullptr && r->answer_len > 0) {
    const auto* p = static_cast<const std::uint8_t*>(r->answer_packet);
    a.packet.assign(p, p + r->answer_len);
  }
  if (a.havedata && r->data != nullptr) {
    for (int i = 0; r->data[i] != nullptr; ++i) {
      a.rdata.emplace_back(r->data[i], static_cast<std::size_t>(r->len[i]));
    }
  }
  // A bogus answer comes back as NOERROR with the tampered data: the
  // validation state is decided first and the data is only usable when the
  // state allows it (the pipeline's policy decides).
  if (r->bogus) {
    a.outcome = Outcome::bogus(r->why_bogus != nullptr ? r->why_bogus : "validation failure");
  } else if (r->secure) {
    a.outcome = Outcome::secure();
  } else if (r->rcode == rcode::kServFail) {
    a.outcome = Outcome::indeterminate(
        r->why_bogus != nullptr ? r->why_bogus : "SERVFAIL: no answer from the upstream servers",
        ede::kNoReachableAuthority);
  } else {
    a.outcome = Outcome::insecure();
  }
  if (a.havedata) {
    a.ttl = static_cast<std::uint32_t>(std::max(0, r->ttl));
  } else if (!a.packet.empty()) {
    a.ttl = negative_ttl(a.packet).value_or(0);
  }
  return a;
}

}  // namespace

// One libunbound context with its own background thread and result pipe.
class UnboundClient::Context : public std::enable_shared_from_this<UnboundClient::Context> {
 public:
  struct Pending {
    std::string qname;
    std::uint16_t qtype;
    Callback cb;
    std::unique_ptr<asio::steady_timer> timer;
    int async_id = 0;
  };

  Context(asio::io_context& io, ub_ctx* ctx) : io_(io), ctx_(ctx), fd_(io, ub_fd(ctx)) {}

  ~Context() {
    // The descriptor belongs to libunbound: release it before ub_ctx_delete.
    boost::system::error_code ec;
    fd_.cancel(ec);
    fd_.release();
    ub_ctx_delete(ctx_);
  }

  void start(const std::string& qname, std::uint16_t qtype, Callback cb,
             std::chrono::milliseconds timeout) {
    const std::uint64_t key = next_key_++;
    auto& p = pending_[key];
    p.qname = qname;
    p.qtype = qtype;
    p.cb = std::move(cb);
    // The key travels through libunbound as the callback's user pointer: an
    // integer, so a late result for a timed-out query finds nothing.
    void* token = reinterpret_cast<void*>(static_cast<std::uintptr_t>(key));
    int id = 0;
    const int err = ub_resolve_async(ctx_, qname.c_str(), qtype, 1 /* IN */, token,
                                     &Context::on_result_trampoline, &id);
    if (err != 0) {
      auto cb2 = std::move(p.cb);
      pending_.erase(key);
      asio::post(io_, [cb2 = std::move(cb2), a = to_answer(qname, qtype, err, nullptr)]() mutable {
        cb2(std::move(a));
      });
      return;
    }
    p.async_id = id;
    p.timer = std::make_unique<asio::steady_timer>(io_, timeout);
    p.timer->async_wait([self = shared_from_this(), key](boost::system::error_code ec) {
      if (!ec) self->on_timeout(key);
    });
    arm();
  }

  bool idle() const { return pending_.empty(); }

  ub_ctx* raw() { return ctx_; }

 private:
  static void on_result_trampoline(void* token, int err, ub_result* result) {
    // Runs inside ub_process(), called from arm()'s handler: `current_self`
    // is the context being processed.
    auto* self = processing_;
    const auto key = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token));
    if (self != nullptr) self->on_result(key, err, result);
    if (result != nullptr) ub_resolve_free(result);
  }

  void on_result(std::uint64_t key, int err, ub_result* result) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;  // timed out already
    Pending p = std::move(it->second);
    pending_.erase(it);
    if (p.timer) p.timer->cancel();
    // Deliver outside ub_process(): a callback may start new queries.
    asio::post(io_, [cb = std::move(p.cb), a = to_answer(p.qname, p.qtype, err, result)]() mutable {
      cb(std::move(a));
    });
  }

  void on_timeout(std::uint64_t key) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    ub_cancel(ctx_, p.async_id);
    // Nothing left to wait for: stop waiting on the pipe, so an io_context
    // with no other work can return.
    if (pending_.empty() && armed_) {
      boost::system::error_code ec;
      fd_.cancel(ec);
    }
    Answer a;
    a.qname = p.qname;
    a.qtype = p.qtype;
    a.rcode = rcode::kServFail;
    a.outcome = Outcome::indeterminate("timeout: no answer within the query time limit",
                                       ede::kNoReachableAuthority);
    p.cb(std::move(a));
  }

  // Waits for libunbound's pipe to become readable while queries are pending.
  void arm() {
    if (armed_ || pending_.empty()) return;
    armed_ = true;
    fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](boost::system::error_code ec) {
                     self->armed_ = false;
                     if (ec) return;
                     processing_ = self.get();
                     ub_process(self->ctx_);
                     processing_ = nullptr;
                     self->arm();
                   });
  }

  static thread_local Context* processing_;

  asio::io_context& io_;
  ub_ctx* ctx_;
  asio::posix::stream_descriptor fd_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::uint64_t next_key_ = 1;
  bool armed_ = false;
};

thread_local UnboundClient::Context* UnboundClient::Context::processing_ = nullptr;

namespace {

// libunbound parses trust anchors only at its first query, so a bad anchor
// would surface as bogus answers later. Check each one here, with ldns.
Expected<bool> check_anchor(const std::string& text, const std::string& where) {
  ldns_rr* rr = nullptr;
  const ldns_status st = ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr);
  if (st != LDNS_STATUS_OK || rr == nullptr) {
    return fail(where + ": not a DS or DNSKEY record (" + ldns_get_errorstr_by_id(st) + ")");
  }
  const auto type = ldns_rr_get_type(rr);
  ldns_rr_free(rr);
  if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY) {
    return fail(where + ": a trust anchor must be a DS or DNSKEY record");
  }
  return true;
}

Expected<bool> check_anchor_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) return fail("trust anchor file '" + file + "' cannot be read");
  std::string line;
  std::size_t n = 0, anchors = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == ';' || line[first] == '#') continue;
    auto ok = check_anchor(line, "trust anchor file '" + file + "' line " + std::to_string(n));
    if (!ok) return ok;
    ++anchors;
  }
  if (anchors == 0) return fail("trust anchor file '" + file + "' holds no DS or DNSKEY record");
  return true;
}

Expected<ub_ctx*> build_context(const UnboundOptions& o) {
  for (const auto& f : o.trust_anchor_files) {
    if (auto ok = check_anchor_file(f); !ok) return fail(ok.error());
  }
  for (const auto& ta : o.trust_anchors) {
    if (auto ok = check_anchor(ta, "trust anchor '" + ta + "'"); !ok) return fail(ok.error());
  }
  ub_ctx* ctx = ub_ctx_create();
  if (ctx == nullptr) return fail("libunbound: could not create a context");
  auto bad = [ctx](std::string what, int err) -> Expected<ub_ctx*> {
    ub_ctx_delete(ctx);
    return fail(what + ": " + ub_strerror(err));
  };
  std::vector<std::pair<std::string, std::string>> opts{
      // The testbed and many private trees are served on loopback.
      {"do-not-query-localhost:", "no"},
      {"qname-minimisation:", o.qname_minimisation ? "yes" : "no"},
      // Hardening (RFC 6404 4.2.1.3: forged answers, incorrect destinations).
      {"harden-algo-downgrade:", "yes"},
      {"harden-below-nxdomain:", "yes"},
      {"harden-dnssec-stripped:", "yes"},
      {"harden-glue:", "yes"},
      {"harden-referral-path:", "no"},
      {"val-clean-additional:", "yes"},
      {"val-permissive-mode:", "no"},
      {"aggressive-nsec:", "yes"},
      // NAPTR rdata can be large; keep answers within what we parse.
      {"edns-buffer-size:", "1232"},
  };
  for (const auto& kv : o.extra_options) opts.push_back(kv);
  for (const auto& [k, v] : opts) {
    if (int e = ub_ctx_set_option(ctx, k.c_str(), v.c_str()); e != 0) {
      return bad("unbound option '" + k + " " + v + "'", e);
    }
  }
  if (int e = ub_ctx_async(ctx, 1); e != 0) return bad("libunbound threads", e);
  for (const auto& f : o.trust_anchor_files) {
    if (int e = ub_ctx_add_ta_file(ctx, f.c_str()); e != 0) {
      return bad("trust anchor file '" + f + "'", e);
    }
  }
  for (const auto& ta : o.trust_anchors) {
    if (int e = ub_ctx_add_ta(ctx, ta.c_str()); e != 0) return bad("trust anchor '" + ta + "'", e);
  }
  for (const auto& s : o.stubs) {
    for (const auto& srv : s.servers) {
      if (int e = ub_ctx_set_stub(ctx, s.zone.c_str(), srv.c_str(), 0); e != 0) {
        return bad("stub zone '" + s.zone + "' server '" + srv + "'", e);
      }
    }
  }
  return ctx;
}

}  // namespace

Expected<std::unique_ptr<UnboundClient>> UnboundClient::create(asio::io_context& io,
                                                               const UnboundOptions& options) {
  auto ctx = build_context(options);
  if (!ctx) return fail(ctx.error());
  auto c = std::make_shared<Context>(io, *ctx);
  auto anchors = std::make_shared<const std::vector<std::string>>(
      anchor_owners(options.trust_anchors, options.trust_anchor_files));
  return std::unique_ptr<UnboundClient>(
      new UnboundClient(io, std::move(c), std::move(anchors), options.query_timeout));
}

UnboundClient::UnboundClient(asio::io_context& io, std::shared_ptr<Context> ctx,
                             std::shared_ptr<const std::vector<std::string>> anchors,
                             std::chrono::milliseconds timeout)
    : io_(io), current_(std::move(ctx)), anchors_(std::move(anchors)), timeout_(timeout) {}

UnboundClient::~UnboundClient() = default;

namespace {

// One context's queries without the insecure explanation (its own questions).
class RawClient final : public Client {
 public:
  RawClient(std::shared_ptr<UnboundClient::Context> ctx, std::chrono::milliseconds timeout)
      : ctx_(std::move(ctx)), timeout_(timeout) {}
  void resolve(const std::string& name, std::uint16_t type, Callback cb) override {
    ctx_->start(lower_fqdn(name), type, std::move(cb), timeout_);
  }

 private:
  std::shared_ptr<UnboundClient::Context> ctx_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

void UnboundClient::resolve(const std::string& name, std::uint16_t type, Callback cb) {
  ++queries_sent_;
  auto ctx = current_;
  auto anchors = anchors_;
  const auto timeout = timeout_;
  ctx->start(
      lower_fqdn(name), type,
      [ctx, anchors, timeout, cb = std::move(cb)](Answer a) mutable {
        if (a.outcome.state != Security::insecure) return cb(std::move(a));
        explain_insecure(std::make_shared<RawClient>(ctx, timeout), anchors, std::move(a),
                         std::move(cb));
      },
      timeout_);
}

Expected<bool> UnboundClient::reconfigure(const UnboundOptions& options) {
  auto ctx = build_context(options);
  if (!ctx) return fail(ctx.error());
  // Queries in flight hold the old context alive through their handlers.
  current_ = std::make_shared<Context>(io_, *ctx);
  anchors_ = std::make_shared<const std::vector<std::string>>(
      anchor_owners(options.trust_anchors, options.trust_anchor_files));
  timeout_ = options.query_timeout;
  return true;
}

}  // namespace speerd::dns
