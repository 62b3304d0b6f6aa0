#include "tests/server/support/fake_pipeline.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace speerd::test {

using pipeline::LookupResult;

namespace {

LookupResult routed(const std::string& number, const std::string& tree) {
  LookupResult r;
  r.verdict = model::Verdict::route;
  r.code = model::reason::kRouted;
  r.reason = "secure NAPTR, secure SRV and A";
  r.number = number;
  r.tree = tree;
  r.uri = kRoutedUri;
  model::Target t;
  t.host = "sip1.good.peers.example";
  t.address = "192.0.2.10";
  t.port = 5061;
  t.transport = "tls";
  t.priority = 10;
  t.weight = 100;
  t.outcome = dns::Outcome::secure();
  r.targets = {t};
  pipeline::UriResult u;
  u.uri = kRoutedUri;
  u.order = 100;
  u.preference = 10;
  u.service = "E2U+sip";
  u.status = "used";
  u.targets = {t};
  r.uris = {u};
  r.ttl = 300;
  r.outcome = dns::Outcome::secure();
  model::Step s;
  s.name = "4.3.2.1.5.5.5.5.1.2.1.e164.example.";
  s.type = "NAPTR";
  s.result = "answer";
  s.ttl = 300;
  s.outcome = dns::Outcome::secure();
  r.dnssec = {s};
  r.store.check = pipeline::StoreCheck::no_record;
  return r;
}

LookupResult not_found(const std::string& number) {
  LookupResult r;
  r.verdict = model::Verdict::reject;
  r.code = model::reason::kNotFound;
  r.reason = "no ENUM record for this number";
  r.number = number;
  r.outcome = dns::Outcome::secure();
  return r;
}

bool in_scope(const pipeline::ClientScope& s, const std::string& tree) {
  return s.operator_scope() || std::find(s.trees.begin(), s.trees.end(), tree) != s.trees.end();
}

}  // namespace

LookupResult FakeData::answer(const pipeline::LookupRequest& r) {
  {
    std::lock_guard<std::mutex> l(mutex);
    scopes.push_back(r.scope);
  }
  if (r.number == "+1") {
    LookupResult bad;
    bad.code = model::reason::kBadNumber;
    bad.reason = "not an E.164 number: too short";
    return bad;
  }
  if (r.scope.no_access()) return not_found(r.number);  // as the real pipeline
  if (r.number == kRoutedNumber) return routed(r.number, "private-a");
  if (r.number == kSlowNumber) return routed(r.number, "private-a");
  if (r.number == kScopedNumber && in_scope(r.scope, "private-b")) {
    return routed(r.number, "private-b");
  }
  return not_found(r.number);  // unknown and not allowed look the same
}

LookupResult FakeData::answer(const pipeline::RouteRequest& r) {
  if (r.uri == kRoutedUri) {
    auto res = routed("", "");
    res.number.clear();
    res.tree.clear();
    return res;
  }
  auto res = not_found("");
  res.number.clear();
  return res;
}

void FakePipeline::lookup(const pipeline::LookupRequest& req, Callback cb) {
  ++data_->lookups;
  auto result = std::make_shared<const LookupResult>(data_->answer(req));
  if (req.number == kSlowNumber) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, data_->slow_delay);
    timer->async_wait([timer, cb = std::move(cb), result = std::move(result)](auto) mutable {
      cb(std::move(result));
    });
    return;
  }
  boost::asio::post(
      io_, [cb = std::move(cb), result = std::move(result)]() mutable { cb(std::move(result)); });
}

void FakePipeline::route(const pipeline::RouteRequest& req, Callback cb) {
  ++data_->lookups;
  boost::asio::post(
      io_, [cb = std::move(cb), result = std::make_shared<const LookupResult>(
                                    data_->answer(req))]() mutable { cb(std::move(result)); });
}

}  // namespace speerd::test
