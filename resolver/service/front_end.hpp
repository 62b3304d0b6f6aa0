// A front end: one protocol through which clients reach the pipeline (the
// mTLS HTTP API in resolver/server/; the DNS front end of issue #14 next to
// it). A shard hosts a list of them (resolver/service/shard.hpp); each is a
// separate implementation of this interface, never a branch inside another.
//
// Every call runs on the shard's thread.
#pragma once

#include <memory>
#include <string_view>

#include "resolver/pipeline/result.hpp"

namespace speerd::service {

struct Generation;

class FrontEnd {
 public:
  virtual ~FrontEnd() = default;

  // For logs and metrics ("http", "dns").
  virtual std::string_view name() const = 0;

  // Requests from now on are answered by `service`: called once the shard
  // has its first pipeline and again on each reload that builds a new one.
  // Requests in flight finish on the pipeline they started with.
  virtual void start(std::shared_ptr<pipeline::LookupService> service) = 0;

  // The shard switched to generation `g` (certificates, CRLs, limits):
  // sessions whose client certificate g's CRLs revoke close now.
  virtual void generation_changed(const Generation& g) = 0;

  // Shutdown, first step: idle sessions close now, busy ones after their
  // answer. New sessions are refused from now on.
  virtual void drain() = 0;

  // Shutdown, last step: every session closes now.
  virtual void abort() = 0;

  // The shard is going away: release the pipeline (its sockets and timers
  // live on the shard's loop, which is destroyed next).
  virtual void stop() = 0;
};

}  // namespace speerd::service
