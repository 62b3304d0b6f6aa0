// The Store contract, run against both backends (TEMPLATE_TEST_CASE over
// Sqlite and Postgres): hostile input (the injection corpus in every field)
// and concurrent use, one Store per thread.
#include <atomic>
#include <cctype>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tests/sed-store/store_builders.hpp"

namespace speerd::store::test {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEMPLATE_TEST_CASE("the injection corpus is rejected or stored literally, in every field",
                   "[store][attack]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const auto corpus = injection_corpus();
  // Each builder puts the probe into one field of an otherwise valid change.
  using Build = std::function<Change(const std::string&)>;
  const std::vector<std::pair<std::string, Build>> fields{
      {"client.name", [](const std::string& v) { return Change{client(v, "CN=probe")}; }},
      {"client.cert_name", [](const std::string& v) { return Change{client("probe", v)}; }},
      {"client.spki_pin", [](const std::string& v) { return Change{client("probe", "", v)}; }},
      {"client.trees",
       [](const std::string& v) {
         auto c = client("probe", "CN=probe");
         c.trees = {v};
         return Change{c};
       }},
      {"client.description",
       [](const std::string& v) {
         auto c = client("probe", "CN=probe");
         c.description = v;
         return Change{c};
       }},
      {"dest_group.name",
       [](const std::string& v) {
         return Change{AddDestinationGroup{v, ""}};
       }},
      {"dest_group.description",
       [](const std::string& v) {
         return Change{AddDestinationGroup{"probe", v}};
       }},
      {"number.dest_group", [](const std::string& v) { return Change{number(v, "4930999")}; }},
      {"number.value", [](const std::string& v) { return Change{number("dg-a", v)}; }},
      {"range.end", [](const std::string& v) { return Change{range("dg-a", "4930000", v)}; }},
      {"prefix.value", [](const std::string& v) { return Change{prefix("dg-a", v)}; }},
      {"remove.value",
       [](const std::string& v) {
         return Change{RemoveIdentifier{IdentifierKind::number, v}};
       }},
      {"route_group.name", [](const std::string& v) { return Change{route_group(v, 1, {})}; }},
      {"route_group.dest_groups",
       [](const std::string& v) { return Change{route_group("probe", 1, {v})}; }},
      {"sed.route_group",
       [](const std::string& v) { return Change{hop(v, "h.example", "", "", 1)}; }},
      {"sed.host", [](const std::string& v) { return Change{hop("rg-a", v, "", "", 1)}; }},
      {"sed.port", [](const std::string& v) { return Change{hop("rg-a", "h.example", v, "", 1)}; }},
      {"sed.transport",
       [](const std::string& v) { return Change{hop("rg-a", "h.example", "", v, 1)}; }},
      {"sed.uri", [](const std::string& v) { return Change{uri("rg-a", v, 1)}; }},
      {"sed.uri_user",
       [](const std::string& v) { return Change{uri("rg-a", "sip:" + v + "@h.example", 1)}; }},
      {"offer.client",
       [](const std::string& v) {
         return Change{AddOffer{"rg-b", v}};
       }},
      {"trust_anchor.zone",
       [](const std::string& v) {
         return Change{AddTrustAnchor{v, kDsExample}};
       }},
      {"trust_anchor.rr",
       [](const std::string& v) {
         return Change{AddTrustAnchor{"example.", v}};
       }},
      {"update.description",
       [](const std::string& v) {
         UpdateClient u;
         u.name = "c2";
         u.description = v;
         return Change{u};
       }},
  };
  std::size_t stored = 0;
  for (const auto& [field, build] : fields) {
    for (const auto& probe : corpus) {
      INFO(field << " = " << probe.substr(0, 60));
      const std::string before = export_text(*s);
      const StoreInfo info_before = s->info().value();
      auto r = s->apply(std::vector<Change>{build(probe)}, WriteContext{"tester"});
      if (!r) {
        // Rejected: a clear message, and the store exactly as it was.
        CHECK_FALSE(r.error().message.empty());
        CHECK(r.error().message.size() < 600);
        CHECK(r.error().code != ErrorCode::internal);
        CHECK(export_text(*s) == before);
        continue;
      }
      // Accepted: stored literally (the export holds the probe as given), and
      // exactly one object more (or one updated), nothing else touched.
      ++stored;
      // Names and hosts are stored lowercased; everything else as given.
      CHECK(lower(export_text(*s)).find(lower(probe)) != std::string::npos);
      const StoreInfo info_after = s->info().value();
      CHECK(info_after.public_identifiers - info_before.public_identifiers <= 1);
      CHECK(info_after.clients - info_before.clients <= 1);
      // Undo, so the next probe starts from the same store.
      std::vector<Change> undo;
      const Id created = r->created_ids[0];
      if (field == "client.name") {
        undo.push_back(RemoveClient{probe});
      } else if (field.rfind("client.", 0) == 0) {
        undo.push_back(RemoveClient{"probe"});
      } else if (field == "dest_group.name") {
        undo.push_back(RemoveDestinationGroup{probe});
      } else if (field.rfind("dest_group.", 0) == 0) {
        undo.push_back(RemoveDestinationGroup{"probe"});
      } else if (field == "number.value") {
        undo.push_back(RemoveIdentifier{IdentifierKind::number, probe});
      } else if (field == "prefix.value") {
        undo.push_back(RemoveIdentifier{IdentifierKind::prefix, probe});
      } else if (field == "range.end") {
        undo.push_back(RemoveIdentifier{IdentifierKind::range, "4930000"});
      } else if (field == "route_group.name") {
        undo.push_back(RemoveRouteGroup{probe});
      } else if (field.rfind("sed.", 0) == 0) {
        undo.push_back(RemoveSed{created});
      } else if (field.rfind("trust_anchor.", 0) == 0) {
        undo.push_back(RemoveTrustAnchor{created});
      } else if (field.rfind("update.", 0) == 0) {
        UpdateClient u;
        u.name = "c2";
        u.description = "";
        undo.push_back(u);
      }
      REQUIRE_FALSE(undo.empty());
      must_apply(*s, undo);
    }
  }
  // The free-text fields (descriptions, certificate names) take quotes,
  // semicolons and percent signs literally.
  CHECK(stored > 20);
  CHECK(s->info()->clients == 2);
  CHECK(s->info()->destination_groups == 3);
}

TEMPLATE_TEST_CASE("one Store per thread: concurrent readers and writers", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto setup = ts.open();
  populate(*setup);
  const Id c1 =
      must_find_client(*setup, ClientIdentity::Kind::cert_name, "CN=sbc1.peer-one.example").id;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::string first_error;
  auto note = [&](const std::string& e) {
    ++failures;
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = e;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto opened = open_store(ts.uri());
      if (!opened) {
        note(opened.error().message);
        return;
      }
      auto& s = **opened;
      for (int i = 0; i < 40; ++i) {
        if (t % 2 == 0) {
          const std::string v = std::to_string(49300000 + t * 1000 + i);
          auto r = s.apply(std::vector<Change>{number("dg-a", v)}, WriteContext{"t"});
          if (!r) note(r.error().message);
        } else {
          auto d = s.find_destination("12155551234", ClientRef{c1});
          if (!d) {
            note(d.error());
          } else if (!d->has_value() || (*d)->routes.size() != 3) {
            note("lookup: wrong answer");
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO(first_error);
  CHECK(failures == 0);
  CHECK(setup->info()->public_identifiers == 6 + 80);
}

}  // namespace speerd::store::test
