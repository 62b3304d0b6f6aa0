// The real DNS upstream: libunbound, validating against configured trust
// anchors, fully asynchronous on one asio io_context.
//
// Threading: an UnboundClient belongs to one io_context thread (speerd runs
// one per core). libunbound works in a background thread of its own
// (ub_ctx_async(ctx, 1)) and signals results through a pipe whose descriptor
// we wait on with asio; callbacks run on the io_context.
//
// Trust anchors can only be given to libunbound before its first query, so
// reconfigure() builds a fresh context and swaps it in; queries in flight
// finish on the old context, which is freed when the last one completes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "enum/expected.hpp"
#include "resolver/dns/client.hpp"

namespace speerd::dns {

// Queries that libunbound has not answered by then complete as
// indeterminate ("timeout"); libunbound's own retries can take much longer.
inline constexpr std::chrono::milliseconds kDefaultQueryTimeout{5000};

struct StubZone {
  std::string zone;                  // "e164.example."
  std::vector<std::string> servers;  // "127.0.0.1@5353", "::1"
};

struct UnboundOptions {
  std::vector<std::string> trust_anchors;       // DS or DNSKEY presentation lines
  std::vector<std::string> trust_anchor_files;  // files of such lines
  std::vector<StubZone> stubs;
  bool qname_minimisation = false;
  std::chrono::milliseconds query_timeout = kDefaultQueryTimeout;
  // Extra "name: value" unbound options (name with its trailing colon).
  std::vector<std::pair<std::string, std::string>> extra_options;
};

class UnboundClient final : public Client {
 public:
  // Builds and configures a context. Errors name the option, anchor or file
  // that libunbound refused.
  static Expected<std::unique_ptr<UnboundClient>> create(boost::asio::io_context& io,
                                                         const UnboundOptions& options);
  ~UnboundClient() override;
  UnboundClient(const UnboundClient&) = delete;
  UnboundClient& operator=(const UnboundClient&) = delete;

  void resolve(const std::string& name, std::uint16_t type, Callback cb) override;

  // Builds a new context from `options` and swaps it in (trust anchor or stub
  // change). On error the current context keeps serving.
  Expected<bool> reconfigure(const UnboundOptions& options);

  // Queries asked for since creation (for tests and metrics); not counted:
  // the few that explain an insecure answer (insecure_reason.hpp).
  std::uint64_t queries_sent() const { return queries_sent_; }

  class Context;  // one libunbound context and its in-flight queries

 private:
  UnboundClient(boost::asio::io_context& io, std::shared_ptr<Context> ctx,
                std::shared_ptr<const std::vector<std::string>> anchors,
                std::chrono::milliseconds timeout);

  boost::asio::io_context& io_;
  std::shared_ptr<Context> current_;
  // Owner names of the trust anchors, to say why an answer is insecure.
  std::shared_ptr<const std::vector<std::string>> anchors_;
  std::chrono::milliseconds timeout_;
  std::uint64_t queries_sent_ = 0;
};

}  // namespace speerd::dns
