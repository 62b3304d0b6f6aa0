#include "resolver/server/admin.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "resolver/server/http_text.hpp"
#include "resolver/service/errors.hpp"
#include "resolver/service/limits.hpp"
#include "resolver/service/log.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::server {
using service::ErrorCode;
using service::parse_host_port;
namespace log = service::log;
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

}  // namespace

class AdminServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(AdminServer& owner, asio::ip::tcp::socket s) : owner_(owner), stream_(std::move(s)) {
    ++owner_.open_;
  }
  ~Session() { --owner_.open_; }

  bool waiting() const { return !answering_; }
  void evict() {
    error_code ignored;
    stream_.socket().close(ignored);
  }

  void start() {
    parser_.header_limit(service::kAdminMaxHeaderBytes);
    parser_.body_limit(0);
    stream_.expires_after(std::chrono::milliseconds(owner_.limits_.timeout_ms));
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(const error_code& ec) {
    if (ec) return;  // timeouts and garbage: just close
    answering_ = true;
    const auto& req = parser_.get();
    const auto target = req.target();
    const auto path = split_target(std::string_view(target.data(), target.size())).path;
    Response r;
    r.close = true;
    if (req.method() != http::verb::get) {
      r.status = 405;
      r.allow = "GET";
      r.body = error_body(ErrorCode::method_not_allowed, "GET only");
    } else if (path == "/healthz") {
      r.body = R"({"status":"ok"})";
    } else if (path == "/readyz") {
      auto [ready, details] = owner_.handlers_.ready();
      r.status = ready ? 200 : 503;
      error_code pe;
      const auto peer = stream_.socket().remote_endpoint(pe);
      if (pe || !peer.address().is_loopback()) {
        for (auto& [name, v] : details.items()) v = v == "ok" ? "ok" : "failed";
      }
      r.body = nlohmann::json{{"ready", ready}, {"checks", details}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (path == "/metrics") {
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = owner_.handlers_.metrics();
    } else {
      r.status = 404;
      r.body = error_body(ErrorCode::no_such_endpoint, "no such endpoint");
    }
    out_ = serialize(r);
    asio::async_write(
        stream_, asio::buffer(out_), [self = shared_from_this()](const error_code&, std::size_t) {
          error_code ignored;
          self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
          self->stream_.close();
        });
  }

  AdminServer& owner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{service::kAdminMaxHeaderBytes + 1024};
  http::request_parser<http::empty_body> parser_;
  std::string out_;
  bool answering_ = false;
};

AdminServer::AdminServer(AdminHandlers handlers, AdminLimits limits)
    : handlers_(std::move(handlers)), limits_(limits) {}

Expected<std::unique_ptr<AdminServer>> AdminServer::start(const std::string& listen,
                                                          AdminHandlers handlers,
                                                          AdminLimits limits) {
  auto hp = parse_host_port(listen);
  if (!hp) return fail("[admin] listen: " + hp.error());
  error_code ec;
  const auto addr = asio::ip::make_address(hp->host, ec);
  if (ec) return fail("[admin] listen: \"" + hp->host + "\" is not an IP address");
  std::unique_ptr<AdminServer> s(new AdminServer(std::move(handlers), limits));
  const asio::ip::tcp::endpoint ep(addr, hp->port);
  s->acceptor_.open(ep.protocol(), ec);
  if (!ec) s->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s->acceptor_.bind(ep, ec);
  if (!ec) s->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("[admin] listen: cannot listen on " + listen + ": " + ec.message());
  s->port_ = s->acceptor_.local_endpoint().port();
  s->accept();
  s->thread_ = std::thread([raw = s.get()] {
    for (;;) {
      try {
        raw->io_.run();
        return;
      } catch (const std::exception& e) {
        log::event(spdlog::level::err, "admin-exception", {{"what", e.what()}});
      }
    }
  });
  log::event(spdlog::level::info, log::kListening,
             {{"listener", "admin"}, {"address", listen}, {"port", s->port_}});
  return s;
}

void AdminServer::accept() {
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket sock) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      sessions_.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
      if (open_ >= limits_.max_connections && !evict_oldest_waiting()) {
        error_code ignored;
        sock.close(ignored);
      } else {
        auto session = std::make_shared<Session>(*this, std::move(sock));
        sessions_.push_back(session);
        session->start();
      }
    }
    accept();
  });
}

bool AdminServer::evict_oldest_waiting() {
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    auto session = it->lock();
    if (session && session->waiting()) {
      session->evict();  // its read ends now and the session goes away
      sessions_.erase(it);
      return true;
    }
  }
  return false;
}

AdminServer::~AdminServer() {
  asio::post(io_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
  });
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace speerd::server
