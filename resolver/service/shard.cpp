#include "resolver/service/shard.hpp"

#include <vector>

#include "resolver/server/connection.hpp"
#include "resolver/service/log.hpp"

namespace speerd::service {

Shard::Shard(std::size_t index, RateLimiter& limiter)
    : index_(index),
      limiter_(limiter),
      io_(std::make_unique<boost::asio::io_context>(1)),
      work_(std::make_unique<
            boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_->get_executor())) {}

Shard::~Shard() {
  stop_and_join();
  // Destroy what waits in the loop (connections, lookups) while the rest of
  // the shard is still here for them to detach from.
  api_.reset();
  io_.reset();
}

void Shard::start() {
  thread_ = std::thread([this] {
    for (;;) {
      try {
        io_->run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: that is a bug, but one request must not take the
        // shard down.
        log::event(spdlog::level::err, "shard-exception", {{"shard", index_}, {"what", e.what()}});
      }
    }
  });
}

void Shard::stop_and_join() {
  work_.reset();
  io_->stop();
  if (thread_.joinable()) thread_.join();
}

void Shard::set_service(std::shared_ptr<pipeline::LookupService> s) {
  api_ = std::make_shared<server::Api>(std::move(s), limiter_, metrics_);
}

void Shard::adopt(boost::asio::ip::tcp::socket socket, Admission::Ticket ticket, std::string peer) {
  incoming_.fetch_sub(1, std::memory_order_relaxed);
  if (draining_) return;  // socket and ticket released here
  auto c = std::make_shared<server::Connection>(*this, std::move(socket), generation_->tls,
                                                std::move(ticket), std::move(peer));
  c->start();
}

void Shard::attach(server::Connection* c) {
  connections_.insert(c);
  open_.fetch_add(1, std::memory_order_relaxed);
  metrics_.add_gauge(Metric::connections_open, 1);
}

void Shard::detach(server::Connection* c) {
  connections_.erase(c);
  open_.fetch_sub(1, std::memory_order_relaxed);
  metrics_.add_gauge(Metric::connections_open, -1);
}

void Shard::drain() {
  draining_ = true;
  std::vector<server::Connection*> all(connections_.begin(), connections_.end());
  for (auto* c : all) c->drain();
}

void Shard::abort_all() {
  std::vector<server::Connection*> all(connections_.begin(), connections_.end());
  for (auto* c : all) c->abort();
}

}  // namespace speerd::service
