// The metrics table and its Prometheus text (resolver/service/metrics.hpp).
#include <catch2/catch.hpp>

#include "resolver/service/errors.hpp"
#include "resolver/service/metrics.hpp"

using namespace speerd::service;
using namespace std::chrono_literals;

TEST_CASE("metrics: Prometheus text from the table") {
  Metrics a, b;
  a.inc2(Metric::requests, L(Endpoint::lookup), L(Status::ok), 2);
  b.inc2(Metric::requests, L(Endpoint::lookup), L(Status::ok), 3);
  a.observe(Metric::request_seconds, L(Endpoint::route), 300us);
  a.observe(Metric::request_seconds, L(Endpoint::route), 20ms);
  a.add_gauge(Metric::connections_open, 2);
  b.add_gauge(Metric::connections_open, -1);
  const auto text = render_metrics({&a, &b});
  CHECK(text.find("# TYPE speerd_requests_total counter\n") != std::string::npos);
  CHECK(text.find("speerd_requests_total{endpoint=\"lookup\",status=\"ok\"} 5\n") !=
        std::string::npos);
  CHECK(text.find("speerd_requests_total{endpoint=\"batch\",status=\"ok\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("speerd_connections_open 1\n") != std::string::npos);
  CHECK(
      text.find("speerd_request_duration_seconds_bucket{endpoint=\"route\",le=\"0.00025\"} 0\n") !=
      std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_bucket{endpoint=\"route\",le=\"0.0005\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_bucket{endpoint=\"route\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_count{endpoint=\"route\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_sum{endpoint=\"route\"} 0.0203\n") !=
        std::string::npos);
  // Every family's label values match its enum (table order is the contract).
  CHECK(metric_table().size() == static_cast<std::size_t>(Metric::kCount));
  for (std::size_t i = 0; i < metric_table().size(); ++i) {
    CHECK(static_cast<std::size_t>(metric_table()[i].id) == i);
  }
  CHECK(metric_table()[L(Metric::errors)].values[0].size() == kErrors.size());
}
