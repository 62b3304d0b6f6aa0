// Every enum with a name table (enum/names.hpp): each value has a name, the
// names are distinct, and parse_enum(enum_name(e)) == e. A value added to an
// enum without a name fails to compile (SPEERD_ENUM_NAMES' count check); a
// name table that repeats or drops a name fails here.
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "enum/names.hpp"
#include "enum/select.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/outcome.hpp"
#include "resolver/lrf/sip_uri.hpp"
#include "resolver/luf/enum_resolver.hpp"
#include "resolver/model/lookup.hpp"
#include "resolver/pipeline/result.hpp"
#include "resolver/service/metrics.hpp"
#include "sed-store/crosscheck.hpp"
#include "sed-store/model.hpp"
#include "sed-store/store.hpp"
#include "sed-store/transfer.hpp"

namespace {

template <typename E>
void check_table(const char* what) {
  INFO(what);
  std::set<std::string> seen;
  for (E e : speerd::all_values<E>()) {
    const auto name = speerd::enum_name(e);
    CHECK_FALSE(name.empty());
    CHECK(seen.insert(std::string(name)).second);
    const auto back = speerd::parse_enum<E>(name);
    REQUIRE(back.has_value());
    CHECK(*back == e);
  }
  CHECK(seen.size() == speerd::enum_count<E>());
  CHECK_FALSE(speerd::parse_enum<E>("no-such-name").has_value());
  CHECK(speerd::enum_name(static_cast<E>(speerd::enum_count<E>())).empty());
}

}  // namespace

TEST_CASE("every name table names each value once and parses back to it", "[house]") {
  using namespace speerd;
  check_table<dns::Security>("dns::Security");
  check_table<lrf::Scheme>("lrf::Scheme");
  check_table<lrf::Transport>("lrf::Transport");
  check_table<luf::LufStatus>("luf::LufStatus");
  check_table<model::Verdict>("model::Verdict");
  check_table<pipeline::StoreCheck>("pipeline::StoreCheck");
  check_table<service::Endpoint>("service::Endpoint");
  check_table<service::Status>("service::Status");
  check_table<service::VerdictLabel>("service::VerdictLabel");
  check_table<service::StateLabel>("service::StateLabel");
  check_table<service::CacheLabel>("service::CacheLabel");
  check_table<service::Refused>("service::Refused");
  check_table<service::Closed>("service::Closed");
  check_table<service::Handshake>("service::Handshake");
  check_table<service::ReloadLabel>("service::ReloadLabel");
  check_table<service::UpstreamLabel>("service::UpstreamLabel");
  check_table<store::IdentifierKind>("store::IdentifierKind");
  check_table<store::SedKind>("store::SedKind");
  check_table<store::AnchorKind>("store::AnchorKind");
  check_table<store::AnchorState>("store::AnchorState");
  check_table<service::FailureCacheLabel>("service::FailureCacheLabel");
  check_table<service::PipelineLabel>("service::PipelineLabel");
  check_table<service::ResultCacheLabel>("service::ResultCacheLabel");
  check_table<service::RegexpCacheLabel>("service::RegexpCacheLabel");
  check_table<service::ProbeLabel>("service::ProbeLabel");
  check_table<service::DnsRcode>("service::DnsRcode");
  check_table<service::DnsRefused>("service::DnsRefused");
  check_table<service::DnsTsig>("service::DnsTsig");
  check_table<service::DnsMemo>("service::DnsMemo");
  check_table<service::DnsMemoKind>("service::DnsMemoKind");
  check_table<store::ErrorCode>("store::ErrorCode");
  check_table<store::transfer::Format>("store::transfer::Format");
  check_table<store::crosscheck::Policy>("store::crosscheck::Policy");
  check_table<store::crosscheck::StoreResult>("store::crosscheck::StoreResult");
  check_table<store::crosscheck::Disposition>("store::crosscheck::Disposition");
  check_table<luf::RuleKind>("luf::RuleKind");
  check_table<config::TreePolicy>("config::TreePolicy");
}

TEST_CASE("the names are the text speerd already printed", "[house]") {
  using namespace speerd;
  CHECK(dns::to_string(dns::Security::indeterminate) == "indeterminate");
  CHECK(lrf::to_string(lrf::Transport::tls_sctp) == "tls-sctp");
  CHECK(std::string(luf::to_string(luf::LufStatus::no_usable)) == "no-usable-record");
  CHECK(pipeline::to_string(pipeline::StoreCheck::not_checked) == "not-checked");
  CHECK(store::to_string(store::IdentifierKind::routing_number) == "rn");
  CHECK(store::parse_anchor_kind("DNSKEY") == store::AnchorKind::dnskey);
  CHECK(store::to_string(store::ErrorCode::schema_too_old) == "schema-too-old");
  CHECK(store::crosscheck::to_string(store::crosscheck::Policy::store_authoritative) ==
        "store-authoritative");
  CHECK(store::crosscheck::parse_policy("advisory") == store::crosscheck::Policy::advisory);
  CHECK(store::transfer::parse_format("jsonl") == store::transfer::Format::json);
  CHECK(luf::to_string(luf::RuleKind::nonterminal) == "nonterminal");
}

TEST_CASE("metric label values come from the label enums", "[house]") {
  using namespace speerd::service;
  for (const auto& d : metric_table()) {
    if (d.id == Metric::connections_closed) {
      REQUIRE(d.values.size() == 1);
      CHECK(d.values[0] == speerd::enum_name_list<Closed>());
    }
    if (d.id == Metric::dns_tsig) {
      REQUIRE(d.values.size() == 1);
      CHECK(d.values[0] == speerd::enum_name_list<DnsTsig>());
    }
    if (d.id == Metric::dns_memo) {
      REQUIRE(d.values.size() == 2);
      CHECK(d.values[0] == speerd::enum_name_list<DnsMemoKind>());
      CHECK(d.values[1] == speerd::enum_name_list<DnsMemo>());
    }
    if (d.id == Metric::requests) {
      REQUIRE(d.values.size() == 2);
      CHECK(d.values[0] == speerd::enum_name_list<Endpoint>());
      CHECK(d.values[1] == speerd::enum_name_list<Status>());
    }
  }
}
