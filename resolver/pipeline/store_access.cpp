#include "resolver/pipeline/store_access.hpp"

#include "sed-store/store.hpp"

namespace speerd::pipeline {

namespace {

template <typename T>
StoreAnswer<T> answer(Expected<T> r) {
  if (!r) return unexpected(StoreError{StoreFailure::error, r.error()});
  return std::move(*r);
}

}  // namespace

void DirectStoreAccess::find_destination(std::string digits, store::ClientRef client,
                                         Done<std::optional<store::Destination>> done) {
  done(answer(store_.find_destination(digits, client)));
}

void DirectStoreAccess::find_routing_number(std::string digits, store::ClientRef client,
                                            Done<std::optional<store::Destination>> done) {
  done(answer(store_.find_routing_number(digits, client)));
}

void DirectStoreAccess::find_routes_to_host(std::string host, store::ClientRef client,
                                            Done<std::vector<store::SedRecord>> done) {
  done(answer(store_.find_routes_to_host(host, client)));
}

}  // namespace speerd::pipeline
