// Connection caps, checked at accept before any TLS work: all connections
// together ([limits] max_connections) and per client IP address
// ([limits] max_connections_per_address). A Ticket holds one admitted
// connection's place and gives it back when destroyed, on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <variant>

#include "enum/guarded.hpp"
#include "resolver/service/metrics.hpp"

namespace speerd::service {

class Admission {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& o) noexcept : owner_(o.owner_), address_(std::move(o.address_)) {
      o.owner_ = nullptr;
    }
    Ticket& operator=(Ticket&& o) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    const std::string& address() const { return address_; }

   private:
    friend class Admission;
    Ticket(Admission* owner, std::string address) : owner_(owner), address_(std::move(address)) {}
    void release();
    Admission* owner_ = nullptr;
    std::string address_;
  };

  // `address` is the client's IP address as text (IPv4-mapped IPv6 folded
  // to IPv4 by the caller).
  std::variant<Ticket, Refused> admit(const std::string& address, std::int64_t max_total,
                                      std::int64_t max_per_address);

  std::int64_t open() const { return total_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> total_{0};
  Guarded<std::unordered_map<std::string, std::int64_t>> per_address_;
};

}  // namespace speerd::service
