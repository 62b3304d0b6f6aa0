// An in-memory stand-in for the pipeline (unit tests of the server only; the
// end-to-end tests use the real pipeline on the signed-zone testbed).
//
//   +12155551234   routes to sip:alice@good.peers.example (tree private-a)
//   +12155550000   routes, but only for clients whose scope includes private-b
//   +1             bad input (the pipeline's own validation)
//   +19995550000   answers after FakeData::slow_delay (drain tests)
//   anything else  not-found
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "resolver/pipeline/result.hpp"

namespace speerd::test {

inline constexpr const char* kRoutedNumber = "+12155551234";
inline constexpr const char* kScopedNumber = "+12155550000";
inline constexpr const char* kSlowNumber = "+19995550000";
inline constexpr const char* kRoutedUri = "sip:alice@good.peers.example";

struct FakeData {
  std::atomic<int> lookups{0};
  std::atomic<int> services_built{0};
  std::chrono::milliseconds slow_delay{500};
  std::mutex mutex;
  std::vector<pipeline::ClientScope> scopes;  // every scope seen

  pipeline::LookupResult answer(const pipeline::LookupRequest& r);
  pipeline::LookupResult answer(const pipeline::RouteRequest& r);
};

class FakePipeline final : public pipeline::LookupService {
 public:
  FakePipeline(boost::asio::io_context& io, std::shared_ptr<FakeData> data)
      : io_(io), data_(std::move(data)) {
    ++data_->services_built;
  }
  void lookup(const pipeline::LookupRequest& req, Callback cb) override;
  void route(const pipeline::RouteRequest& req, Callback cb) override;

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<FakeData> data_;
};

}  // namespace speerd::test
