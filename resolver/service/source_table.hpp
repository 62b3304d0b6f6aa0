// The clients known by source prefix (the DNS front end, issue 14): a UDP or
// TCP client is known by the IPv4/IPv6 prefixes its queries come from, stored
// with the client in the SED store (`speerctl client --source`). Part of the
// client snapshot (ClientTable::sources()), so the front end matches in
// memory and never reads the store. The longest prefix holding the source
// wins; a source no prefix holds is unknown.
//
// It also holds the clients' TSIG keys (RFC 8945, migration 0006): a signed
// query's key name identifies its client, whatever its source.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "resolver/service/client_directory.hpp"
#include "sed-store/prefix.hpp"

namespace speerd::service {

// A TSIG key of an enabled client (hmac-sha256).
struct TsigKey {
  std::string name;    // lower case, absolute
  std::string secret;  // base64
  std::shared_ptr<const ClientRecord> client;
};

class SourceTable {
 public:
  void add(store::SourcePrefix prefix, ClientRecord client);
  // The client of the longest prefix holding `source`; nullptr: unknown.
  const ClientRecord* find(const boost::asio::ip::address& source) const;
  std::size_t size() const { return entries_.size(); }

  // Key names are unique in the store; a second one with a name is ignored.
  void add_key(std::string name, std::string secret, ClientRecord client);
  // The key of this name (lower case, absolute); nullptr: no such key.
  const TsigKey* find_key(std::string_view name) const;

 private:
  std::unordered_map<std::string, TsigKey> keys_;
  struct Entry {
    store::SourcePrefix prefix;
    std::shared_ptr<const ClientRecord> client;
  };
  std::vector<Entry> entries_;  // longest prefix first
};

}  // namespace speerd::service
