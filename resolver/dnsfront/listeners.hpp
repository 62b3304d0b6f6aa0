// The DNS front end's sockets, opened once per process (before the shards
// start) and shared by every shard: each shard's front end waits on its own
// duplicate of each descriptor, so the kernel hands a datagram or a new
// connection to whichever shard is free (Unbound's listening_ports_open()
// once, listen_create() per worker).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "enum/expected.hpp"
#include "resolver/dnsfront/handler.hpp"

namespace speerd::dnsfront {

class Listeners {
 public:
  struct Socket {
    Transport transport = Transport::udp;
    bool v6 = false;
    int fd = -1;
    std::string address;  // as bound
    std::uint16_t port = 0;
  };

  // One UDP and one TCP socket per `listen` "host:port" (both on the same
  // port, also when it is 0), one TCP socket (transport tls) per
  // `tls_listen` entry. Logs `dns-listening` for each.
  static Expected<std::shared_ptr<Listeners>> open(const std::vector<std::string>& listen,
                                                   const std::vector<std::string>& tls_listen = {});
  ~Listeners();

  const std::vector<Socket>& sockets() const { return sockets_; }

  // Open TCP connections over every shard (for tcp_max_connections).
  std::atomic<std::int64_t> tcp_open{0};
  // Open DoT connections, handshakes included (for tls_max_connections).
  std::atomic<std::int64_t> tls_open{0};

 private:
  Listeners() = default;
  std::vector<Socket> sockets_;
};

}  // namespace speerd::dnsfront
