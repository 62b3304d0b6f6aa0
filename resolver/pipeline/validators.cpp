#include "resolver/pipeline/validators.hpp"

#include <algorithm>

namespace speerd::pipeline {

Expected<std::unique_ptr<Validators>> Validators::create(boost::asio::io_context& io,
                                                         const config::ResolverConfig& cfg) {
  std::unique_ptr<Validators> v(new Validators());
  auto global = dns::UnboundClient::create(io, cfg.dns);
  if (!global) return fail(global.error());
  v->global_ = std::move(*global);
  for (const auto& t : cfg.trees) {
    if (t.trust_anchor_files.empty()) continue;
    std::vector<std::string> files = t.trust_anchor_files;
    std::sort(files.begin(), files.end());
    auto it = v->own_.find(files);
    if (it == v->own_.end()) {
      dns::UnboundOptions o = cfg.dns;
      o.trust_anchor_files.insert(o.trust_anchor_files.end(), files.begin(), files.end());
      auto c = dns::UnboundClient::create(io, o);
      if (!c) return fail("[[enum.tree]] " + t.name + ": " + c.error());
      it = v->own_.emplace(files, std::move(*c)).first;
    }
    v->trees_[t.name] = it->second.get();
  }
  return v;
}

}  // namespace speerd::pipeline
