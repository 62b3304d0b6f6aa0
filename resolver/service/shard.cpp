#include "resolver/service/shard.hpp"

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
  // Destroy what waits in the loop (sessions, lookups) while the rest of
  // the shard, front ends included, is still here for them to detach from.
  for (auto& f : front_ends_) f->stop();
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
  for (auto& f : front_ends_) f->start(s);
}

void Shard::session_opened() {
  open_.fetch_add(1, std::memory_order_relaxed);
  metrics_.add_gauge(Metric::connections_open, 1);
}

void Shard::session_closed() {
  open_.fetch_sub(1, std::memory_order_relaxed);
  metrics_.add_gauge(Metric::connections_open, -1);
}

void Shard::set_generation(std::shared_ptr<const Generation> g) {
  generation_ = std::move(g);
  if (!generation_) return;
  for (auto& f : front_ends_) f->generation_changed(*generation_);
}

void Shard::drain() {
  draining_ = true;
  for (auto& f : front_ends_) f->drain();
}

void Shard::abort_all() {
  for (auto& f : front_ends_) f->abort();
}

}  // namespace speerd::service
