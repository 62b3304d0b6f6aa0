#include "resolver/service/admission.hpp"

namespace speerd::service {

Admission::Ticket& Admission::Ticket::operator=(Ticket&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    address_ = std::move(o.address_);
    o.owner_ = nullptr;
  }
  return *this;
}

void Admission::Ticket::release() {
  if (!owner_) return;
  owner_->per_address_.with([&](auto& m) {
    auto it = m.find(address_);
    if (it != m.end() && --it->second <= 0) m.erase(it);
  });
  owner_->total_.fetch_sub(1, std::memory_order_relaxed);
  owner_ = nullptr;
}

std::variant<Admission::Ticket, Refused> Admission::admit(const std::string& address,
                                                          std::int64_t max_total,
                                                          std::int64_t max_per_address) {
  if (total_.fetch_add(1, std::memory_order_relaxed) >= max_total) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    return Refused::max_connections;
  }
  const bool ok = per_address_.with([&](auto& m) {
    auto& n = m[address];
    if (n >= max_per_address) {
      if (n == 0) m.erase(address);
      return false;
    }
    ++n;
    return true;
  });
  if (!ok) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    return Refused::per_address;
  }
  return Ticket(this, address);
}

}  // namespace speerd::service
