#include "resolver/server/http_front_end.hpp"

#include <vector>

#include "resolver/server/connection.hpp"

namespace speerd::server {

void HttpFrontEnd::start(std::shared_ptr<pipeline::LookupService> service) {
  api_ = std::make_shared<Api>(std::move(service), shard_.limiter(), shard_.metrics());
}

void HttpFrontEnd::adopt(boost::asio::ip::tcp::socket socket, service::Admission::Ticket ticket,
                         std::string peer) {
  shard_.adopted();
  if (shard_.draining()) return;  // socket and ticket released here
  auto c = std::make_shared<Connection>(*this, std::move(socket), shard_.generation().tls,
                                        std::move(ticket), std::move(peer));
  c->start();
}

void HttpFrontEnd::attach(Connection* c) {
  connections_.insert(c);
  shard_.session_opened();
}

void HttpFrontEnd::detach(Connection* c) {
  connections_.erase(c);
  shard_.session_closed();
}

void HttpFrontEnd::generation_changed(const service::Generation& g) {
  if (!g.tls) return;
  std::vector<Connection*> all(connections_.begin(), connections_.end());
  for (auto* c : all) c->check_revoked(g.tls->native_handle());
}

void HttpFrontEnd::drain() {
  std::vector<Connection*> all(connections_.begin(), connections_.end());
  for (auto* c : all) c->drain();
}

void HttpFrontEnd::abort() {
  std::vector<Connection*> all(connections_.begin(), connections_.end());
  for (auto* c : all) c->abort();
}

}  // namespace speerd::server
