// One validating libunbound context per trust-anchor set (issue 15 item 9).
// The [dns] anchors (and the store's, which the daemon adds there) are
// global: the LRF (peer domains) and every tree use them. A tree that names
// its own trust_anchor_files validates its ENUM answers in a context with
// the global anchors plus its own, and with no other tree's: a tree never
// validates under another tree's anchor. Trees with the same files share a
// context.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "enum/expected.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"

namespace speerd::pipeline {

class Validators {
 public:
  static Expected<std::unique_ptr<Validators>> create(boost::asio::io_context& io,
                                                      const config::ResolverConfig& cfg);

  dns::UnboundClient& global() { return *global_; }
  // Tree name -> the context its ENUM answers are validated in (only trees
  // with their own anchors; the others use global()).
  const std::map<std::string, dns::Client*>& trees() const { return trees_; }
  std::size_t contexts() const { return 1 + own_.size(); }

 private:
  std::unique_ptr<dns::UnboundClient> global_;
  std::map<std::vector<std::string>, std::unique_ptr<dns::UnboundClient>> own_;  // by file set
  std::map<std::string, dns::Client*> trees_;
};

}  // namespace speerd::pipeline
