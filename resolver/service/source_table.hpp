// The clients known by source prefix (the DNS front end, issue 14): a UDP or
// TCP client is known by the IPv4/IPv6 prefixes its queries come from, stored
// with the client in the SED store (`speerctl client --source`). Part of the
// client snapshot (ClientTable::sources()), so the front end matches in
// memory and never reads the store. The longest prefix holding the source
// wins; a source no prefix holds is unknown.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "resolver/service/client_directory.hpp"
#include "sed-store/prefix.hpp"

namespace speerd::service {

class SourceTable {
 public:
  void add(store::SourcePrefix prefix, ClientRecord client);
  // The client of the longest prefix holding `source`; nullptr: unknown.
  const ClientRecord* find(const boost::asio::ip::address& source) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    store::SourcePrefix prefix;
    std::shared_ptr<const ClientRecord> client;
  };
  std::vector<Entry> entries_;  // longest prefix first
};

}  // namespace speerd::service
