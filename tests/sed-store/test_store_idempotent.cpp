// Idempotent writes (issue 13), on both backends: a write applied with an
// operation id lands once however often it is retried; a reused id with
// another digest is refused; the id is recorded in the write's own
// transaction, so a write that fails records nothing.
#include <string>
#include <vector>

#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tests/sed-store/store_builders.hpp"

namespace speerd::store::test {
namespace {

WriteContext with_id(const std::string& id, const std::string& digest = "d1") {
  WriteContext ctx{"tester"};
  ctx.operation_id = id;
  ctx.operation_digest = digest;
  return ctx;
}

std::size_t audit_rows(Store& s) {
  auto a = s.list_audit(AuditQuery{});
  REQUIRE(a);
  return a->size();
}

}  // namespace

TEMPLATE_TEST_CASE("a write retried with its operation id is applied once", "[store][idempotent]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  must_apply(*s, {AddDestinationGroup{"dg", ""}});
  const std::vector<Change> write{number("dg", "12155550001"), number("dg", "12155550002")};
  auto first = s->apply(write, with_id("op-1"));
  REQUIRE(first);
  CHECK_FALSE(first->already_applied);
  const std::size_t audited = audit_rows(*s);
  const auto counter = s->change_counter();
  REQUIRE(counter);

  // The retry of a write whose COMMIT had made it: found, nothing changes.
  auto again = s->apply(write, with_id("op-1"));
  REQUIRE(again);
  CHECK(again->already_applied);
  CHECK(again->change_counter == first->change_counter);
  CHECK(audit_rows(*s) == audited);
  CHECK(*s->change_counter() == *counter);
  auto ids = s->list_identifiers(IdentifierPage{});
  REQUIRE(ids);
  CHECK(ids->size() == 2);

  // Without an id the same write is a conflict (the numbers exist).
  auto plain = s->apply(write, WriteContext{"tester"});
  REQUIRE_FALSE(plain);
  CHECK(plain.error().code == ErrorCode::conflict);
}

TEMPLATE_TEST_CASE("an operation id reused for another write is a conflict", "[store][idempotent]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  must_apply(*s, {AddDestinationGroup{"dg", ""}});
  REQUIRE(s->apply(std::vector<Change>{number("dg", "12155550001")}, with_id("op-x", "d1")));
  auto other = s->apply(std::vector<Change>{number("dg", "12155550002")}, with_id("op-x", "d2"));
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::conflict);
  CHECK(other.error().message.find("different write") != std::string::npos);
  auto ids = s->list_identifiers(IdentifierPage{});
  REQUIRE(ids);
  CHECK(ids->size() == 1);
}

TEMPLATE_TEST_CASE("a failed write records no operation id", "[store][idempotent]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  // The destination group does not exist yet: not_found, nothing recorded.
  auto failed = s->apply(std::vector<Change>{number("dg", "12155550001")}, with_id("op-2"));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::not_found);
  must_apply(*s, {AddDestinationGroup{"dg", ""}});
  // The same id now applies the write (the failed attempt left no trace).
  auto ok = s->apply(std::vector<Change>{number("dg", "12155550001")}, with_id("op-2"));
  REQUIRE(ok);
  CHECK_FALSE(ok->already_applied);
}

TEMPLATE_TEST_CASE("operation ids are checked", "[store][idempotent]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  for (const std::string& bad : {std::string("has space"), std::string(129, 'a'),
                                 std::string("semi;colon"), std::string("quote'")}) {
    auto r = s->apply(std::vector<Change>{AddDestinationGroup{"dg", ""}}, with_id(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK(r.error().field == "operation_id");
  }
  auto groups = s->list_destination_groups();
  REQUIRE(groups);
  CHECK(groups->empty());
}

}  // namespace speerd::store::test
