// The pipeline's state of one resolution in flight, shared by its two
// halves: pipeline.cpp (requests, ENUM, LRF, finishing) and store_steps.cpp
// (the SED store's part: provisioned answers, routing numbers, the
// cross-check, degraded answers). Internal to resolver/pipeline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/pipeline/pipeline.hpp"
#include "sed-store/crosscheck.hpp"
#include "sed-store/model.hpp"

namespace speerd::pipeline {

namespace cc = store::crosscheck;

// One resolution in flight (shared by every joined request).
struct Pipeline::Flight {
  std::string key;
  // SED store view of the destination (lookups with a store and a client).
  bool store_asked = false;
  std::string store_error;  // the store failed (timed out, unreachable): not checked
  StoreFailure store_failure = StoreFailure::error;
  std::vector<cc::ProvisionedTarget> provisioned;
  std::string destination_group;
  std::string matched_identifier;
  LookupResult result;
  luf::LufResult luf;
  std::optional<model::Reason> first_failure_code;
  std::string first_failure_reason;
  dns::Outcome first_failure_outcome;
  bool from_store = false;  // store-authoritative: the URIs came from the SED store
  std::string ported;       // "+<rn>": routed by this routing number (RFC 4694)
  std::int64_t store_client = 0;
};

// The store's SED records as the cross-check sees them.
std::vector<cc::ProvisionedTarget> provisioned(const std::vector<store::SedRecord>& routes);

}  // namespace speerd::pipeline
