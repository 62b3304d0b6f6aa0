#include "resolver/dnsfront/memo.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <cstring>
#include <type_traits>

namespace speerd::dnsfront {
namespace {

// The key is a length-prefixed concatenation, so no two inputs share one.
// Each struct is taken apart with a structured binding that names all its
// fields: a field added to the struct breaks the build here until it is
// added to the key (or, like the ID, left out with a reason).

template <typename T>
requires std::is_integral_v<T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

void put(std::string& out, std::string_view s) {
  put(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

void put(std::string& out, const Question& question) {
  const auto& [qname, qtype, qclass] = question;
  put(out, qname);  // as check_query() read it: the answer echoes it
  put(out, qtype);
  put(out, qclass);
}

void put(std::string& out, const Ede& e) {
  const auto& [code, text] = e;
  put(out, code);
  put(out, text);
}

void put(std::string& out, const Naptr& n) {
  const auto& [order, preference, services, uri] = n;
  put(out, order);
  put(out, preference);
  put(out, services);
  put(out, uri);
}

void put(std::string& out, const Query& q) {
  const auto& [id, question, rd, cd, ad, edns, do_bit, udp_size, tsig] = q;
  // Not in the key: the ID (written into the copy on a hit) and the TSIG (a
  // signed query never reaches the key: AnswerMemo::encode bypasses it).
  (void)id;
  (void)tsig;
  put(out, question);
  put(out, rd);
  put(out, cd);
  put(out, ad);
  put(out, edns);
  put(out, do_bit);
  put(out, udp_size);
}

void put(std::string& out, const NextHop& h) {
  const auto& [srv, host, address, port, priority, weight] = h;
  put(out, srv);
  put(out, host);
  put(out, address);
  put(out, port);
  put(out, priority);
  put(out, weight);
}

void put(std::string& out, const Reply& r) {
  const auto& [rcode, ede, ad, ra, ttl, naptrs, received_naptrs, soa_zone, rfc8482, next_hops] = r;
  put(out, rcode);
  put(out, ede.has_value());
  if (ede) put(out, *ede);
  put(out, ad);
  put(out, ra);
  put(out, ttl);
  put(out, static_cast<std::uint32_t>(naptrs.size()));
  for (const auto& n : naptrs) put(out, n);
  put(out, static_cast<std::uint32_t>(received_naptrs.size()));
  for (const auto& w : received_naptrs) put(out, w);
  put(out, soa_zone);
  put(out, rfc8482);
  put(out, static_cast<std::uint32_t>(next_hops.size()));
  for (const auto& h : next_hops) put(out, h);
}

void put(std::string& out, const AnswerSettings& s) {
  const auto& [negative_ttl, soa_mname, soa_rname, udp_size, as_received, next_hops] = s;
  put(out, negative_ttl);
  put(out, soa_mname);
  put(out, soa_rname);
  put(out, udp_size);
  put(out, as_received);
  put(out, next_hops);
}

}  // namespace

void AnswerMemo::key_of(const Query& q, const Reply& reply, const AnswerSettings& s,
                        std::size_t max_size, std::string& out) {
  out.clear();
  put(out, q);
  put(out, reply);
  put(out, s);
  put(out, static_cast<std::uint64_t>(max_size));
}

std::vector<std::uint8_t> AnswerMemo::encode(const Query& q, const Reply& reply,
                                             const AnswerSettings& s, std::size_t max_size,
                                             bool* hit) {
  if (hit != nullptr) *hit = false;
  if (q.tsig) return dnsfront::encode(q, reply, s, max_size);
  key_of(q, reply, s, max_size, scratch_);
  if (const auto* kept = lru_.find(scratch_)) {
    std::vector<std::uint8_t> out = *kept;
    ldns_write_uint16(out.data(), q.id);  // the header's first field (RFC 1035 4.1.1)
    if (hit != nullptr) *hit = true;
    return out;
  }
  auto wire = dnsfront::encode(q, reply, s, max_size);
  if (wire.size() >= LDNS_HEADER_SIZE) lru_.put(scratch_, wire, wire.size());
  return wire;
}

Checked QueryMemo::check(std::span<const std::uint8_t> wire, bool* hit) {
  if (hit != nullptr) *hit = false;
  if (wire.size() < LDNS_HEADER_SIZE) return check_query(wire);
  const std::string_view key(reinterpret_cast<const char*>(wire.data()) + 2, wire.size() - 2);
  if (const Query* kept = lru_.find(key)) {
    Query q = *kept;
    q.id = ldns_read_uint16(wire.data());
    if (hit != nullptr) *hit = true;
    return q;
  }
  Checked c = check_query(wire);
  if (const Query* q = std::get_if<Query>(&c); q != nullptr && !q->tsig) {
    lru_.put(key, *q, q->question.qname.size());
  }
  return c;
}

}  // namespace speerd::dnsfront
