// The pipeline's view of the SED store: the three lookup-contract reads it
// makes, asked asynchronously. Every answer comes back on the pipeline's
// event loop, exactly once, and never later than the access's deadline (a
// store that hangs gives a timeout error, not a stalled loop).
//
// The daemon's implementation runs the reads on a small pool of store
// threads (service::StoreWorkers); DirectStoreAccess calls a Store in place
// (tests, `speerctl lookup`, which have no event loop to protect).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "enum/expected.hpp"
#include "enum/names.hpp"
#include "sed-store/model.hpp"

namespace speerd::store {
class Store;
}

namespace speerd::pipeline {

// Why a store read failed (the metric label and the degraded answer's
// wording): the deadline passed, the store cannot be reached (or is
// reconnecting), the store threads' queue is full, or the store answered
// with an error.
enum class StoreFailure : std::uint8_t { timeout, unavailable, overload, error };
SPEERD_ENUM_NAMES(StoreFailure, error, "timeout", "unavailable", "overload", "error");

inline std::string_view to_string(StoreFailure f) {
  return enum_name(f);
}

struct StoreError {
  StoreFailure kind = StoreFailure::error;
  std::string message;
};

template <typename T>
using StoreAnswer = Expected<T, StoreError>;

class StoreAccess {
 public:
  template <typename T>
  using Done = std::function<void(StoreAnswer<T>)>;

  virtual ~StoreAccess() = default;
  virtual void find_destination(std::string digits, store::ClientRef client,
                                Done<std::optional<store::Destination>> done) = 0;
  virtual void find_routing_number(std::string digits, store::ClientRef client,
                                   Done<std::optional<store::Destination>> done) = 0;
  virtual void find_routes_to_host(std::string host, store::ClientRef client,
                                   Done<std::vector<store::SedRecord>> done) = 0;
};

// Calls `store` on the caller's thread and answers before returning.
class DirectStoreAccess final : public StoreAccess {
 public:
  explicit DirectStoreAccess(store::Store& store) : store_(store) {}
  void find_destination(std::string digits, store::ClientRef client,
                        Done<std::optional<store::Destination>> done) override;
  void find_routing_number(std::string digits, store::ClientRef client,
                           Done<std::optional<store::Destination>> done) override;
  void find_routes_to_host(std::string host, store::ClientRef client,
                           Done<std::vector<store::SedRecord>> done) override;

 private:
  store::Store& store_;
};

}  // namespace speerd::pipeline
