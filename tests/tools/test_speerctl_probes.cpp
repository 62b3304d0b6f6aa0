// The injection corpus through every speerctl argument, against both
// backends: each probe is rejected with a clean message or stored literally,
// and a rejected one leaves the store as it was.
#include <algorithm>
#include <map>
#include <set>

#include "sed-store/transfer.hpp"
#include "tests/tools/speerctl_run.hpp"

namespace speerd::store::test {
namespace {

// Puts the store back to its baseline after a probe was accepted: removes
// every object the baseline does not have, and resets the baseline's clients
// and route groups to their baseline fields.
class Baseline {
 public:
  explicit Baseline(Store& s) : s_(s) {
    export_ = export_text(s);
    for (const auto& c : got(s.list_clients())) clients_[c.name] = c;
    for (const auto& g : got(s.list_route_groups())) rgs_[g.name] = g;
    for (const auto& g : got(s.list_destination_groups())) dgs_.insert(g.name);
    for (const auto& x : got(s.list_sed(std::nullopt))) sed_.insert(x.id);
    for (const auto& x : got(s.list_trust_anchors())) anchors_.insert(x.id);
    for (const auto& x : got(s.list_offers())) offers_.insert(x.route_group + "/" + x.client);
    for (const auto& x : ids()) idents_.insert(key(x));
  }

  const std::string& text() const { return export_; }

  void restore() {
    std::vector<Change> undo;
    for (const auto& x : got(s_.list_sed(std::nullopt))) {
      if (!sed_.count(x.id)) undo.push_back(RemoveSed{x.id});
    }
    for (const auto& x : got(s_.list_trust_anchors())) {
      if (!anchors_.count(x.id)) undo.push_back(RemoveTrustAnchor{x.id});
    }
    for (const auto& x : got(s_.list_offers())) {
      if (!offers_.count(x.route_group + "/" + x.client)) {
        undo.push_back(RemoveOffer{x.route_group, x.client});
      }
    }
    for (const auto& g : got(s_.list_route_groups())) {
      auto it = rgs_.find(g.name);
      if (it == rgs_.end()) {
        for (const auto& d : g.destination_groups) undo.push_back(DetachDestination{g.name, d});
        undo.push_back(RemoveRouteGroup{g.name});
        continue;
      }
      for (const auto& d : g.destination_groups) {
        const auto& want = it->second.destination_groups;
        if (std::find(want.begin(), want.end(), d) == want.end()) {
          undo.push_back(DetachDestination{g.name, d});
        }
      }
      UpdateRouteGroup u;
      u.name = g.name;
      u.priority = it->second.priority;
      u.enabled = it->second.enabled;
      u.description = it->second.description;
      undo.push_back(u);
    }
    for (const auto& x : ids()) {
      if (!idents_.count(key(x))) undo.push_back(RemoveIdentifier{x.kind, x.value});
    }
    for (const auto& g : got(s_.list_destination_groups())) {
      if (!dgs_.count(g.name)) undo.push_back(RemoveDestinationGroup{g.name});
    }
    for (const auto& c : got(s_.list_clients())) {
      auto it = clients_.find(c.name);
      if (it == clients_.end()) {
        undo.push_back(RemoveClient{c.name});
        continue;
      }
      UpdateClient u;
      u.name = c.name;
      u.cert_name = it->second.cert_name;
      u.spki_pin = it->second.spki_pin;
      u.trees = it->second.trees;
      if (it->second.rate.from_config()) {
        u.rate_from_config = true;
      } else {
        u.rate_per_second = it->second.rate.per_second;
        u.burst = it->second.rate.burst;
      }
      u.enabled = it->second.enabled;
      u.description = it->second.description;
      u.options = it->second.options;
      undo.push_back(u);
    }
    must_apply(s_, undo);
    REQUIRE(export_text(s_) == export_);
  }

 private:
  std::vector<PublicIdentifier> ids() {
    IdentifierPage page;
    page.limit = 100000;
    return got(s_.list_identifiers(page));
  }
  static std::string key(const PublicIdentifier& p) {
    return std::string(to_string(p.kind)) + ":" + p.value;
  }

  Store& s_;
  std::string export_;
  std::map<std::string, Client> clients_;
  std::map<std::string, RouteGroup> rgs_;
  std::set<std::string> dgs_;
  std::set<Id> sed_;
  std::set<Id> anchors_;
  std::set<std::string> offers_;
  std::set<std::string> idents_;
};

// One probe of each class in the corpus (the library tests run the whole
// corpus through every field; here it is every CLI argument, through
// speerctl::run in this process): quotes and comment markers, statement separators and injected
// statements, LIKE wildcards, look-alike digits, control bytes, bytes that are
// not UTF-8, shell syntax, overlong text. argv cannot carry NUL.
std::vector<std::string> cli_corpus() {
  return {"'",
          "' OR 1=1 --",
          "'); DROP TABLE client; --",
          "1; DELETE FROM audit",
          "--",
          "%_%",
          "121555512_4",
          "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93",  // fullwidth 123
          "\xd9\xa3\xd9\xa3",                      // Arabic-Indic 33
          "\x1b[31mred",
          "a\nb",
          "\xff\xfe",
          "$(id)",
          "NULL",
          "-1",
          "0",
          std::string(100'000, 'A'),
          std::string(16, '1')};
}

// Feeds every probe into the {} of each command; each run must end with 0
// (then the store is put back), 2, 3, 4 or 5, never a crash or an internal
// error, and a failed one must leave the store as it was.
void probe_commands(TestStore& ts, const std::vector<std::vector<std::string>>& commands) {
  auto s = ts.open();
  load_base(*s);
  Baseline base(*s);
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  for (const auto& cmd : commands) {
    for (const auto& probe : cli_corpus()) {
      std::vector<std::string> args;
      for (const auto& a : cmd) args.push_back(a == "{}" ? probe : a);
      std::string shown;
      for (const auto& a : args) shown += (a.size() > 40 ? a.substr(0, 40) + "..." : a) + " ";
      INFO("speerctl " << shown);
      const Run r = speerctl_here(with_store(ts, args));
      INFO("exit " << r.code << ", stderr: " << r.err.substr(0, 300));
      CHECK((r.code == 0 || r.code == 2 || r.code == 3 || r.code == 4 || r.code == 5));
      if (r.code == 0) {
        ++accepted;
        base.restore();
        continue;
      }
      ++rejected;
      CHECK_FALSE(r.err.empty());
      if (r.err.rfind("speerctl: ", 0) == 0) {
        // Our own messages are one line of printable text.
        const std::string msg = r.err.substr(0, r.err.size() - 1);
        CHECK(r.err.back() == '\n');
        CHECK(std::none_of(msg.begin(), msg.end(), [](char c) {
          return c == '\n' || c == '\r' || c == '\x1b' || c == '\0';
        }));
        CHECK(msg.size() < 600);
      }
      CHECK(export_text(*s) == base.text());
    }
  }
  CHECK(rejected > 0);
  (void)accepted;
}

}  // namespace

TEMPLATE_TEST_CASE("speerctl: injection probes through client arguments", "[speerctl][attack]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  probe_commands(ts, {
                         {"client", "add", "{}", "--cert-name", "CN=probe"},
                         {"client", "add", "probe", "--cert-name", "{}"},
                         {"client", "add", "probe", "--spki-pin", "{}"},
                         {"client", "add", "probe", "--cert-name", "CN=p", "--tree", "{}"},
                         {"client", "add", "probe", "--cert-name", "CN=p", "--description", "{}"},
                         {"client", "add", "probe", "--cert-name", "CN=p", "--rate", "{}"},
                         {"client", "add", "probe", "--cert-name", "CN=p", "--actor", "{}"},
                         {"client", "update", "client-one", "--description", "{}"},
                         {"client", "update", "client-one", "--cert-name", "{}"},
                         {"client", "update", "{}", "--disable"},
                         {"client", "remove", "{}"},
                         {"client", "show", "{}"},
                     });
}

TEMPLATE_TEST_CASE("speerctl: injection probes through dest-group and offer arguments",
                   "[speerctl][attack]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  probe_commands(ts, {
                         {"dest-group", "add", "{}"},
                         {"dest-group", "add", "probe", "--description", "{}"},
                         {"dest-group", "remove", "{}"},
                         {"offer", "add", "rg-base", "{}"},
                         {"offer", "add", "{}", "client-two"},
                         {"offer", "remove", "rg-base", "{}"},
                         {"offer", "list", "--client", "{}"},
                     });
}

TEMPLATE_TEST_CASE("speerctl: injection probes through number arguments", "[speerctl][attack]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  probe_commands(ts, {
                         {"number", "add", "dg-base", "{}"},
                         {"number", "add", "{}", "4930555"},
                         {"number", "add", "dg-base", "4930555", "--kind", "{}"},
                         {"number", "add", "dg-base", "--kind", "prefix", "{}"},
                         {"number", "remove", "{}"},
                         {"number", "list", "--dest-group", "{}"},
                         {"number", "find", "{}", "--client", "client-one"},
                         {"number", "find", "4930123456", "--client", "{}"},
                     });
}

TEMPLATE_TEST_CASE("speerctl: injection probes through route-group arguments", "[speerctl][attack]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  probe_commands(ts, {
                         {"route-group", "add", "{}"},
                         {"route-group", "add", "probe-rg", "--dest-group", "{}"},
                         {"route-group", "add", "probe-rg", "--priority", "{}"},
                         {"route-group", "attach", "rg-base", "{}"},
                         {"route-group", "attach", "{}", "dg-other"},
                         {"route-group", "update", "rg-base", "--description", "{}"},
                         {"route-group", "remove", "{}"},
                     });
}

TEMPLATE_TEST_CASE("speerctl: injection probes through sed arguments", "[speerctl][attack]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  probe_commands(ts, {
                         {"sed", "add", "rg-base", "--host", "{}"},
                         {"sed", "add", "rg-base", "--uri", "{}"},
                         {"sed", "add", "rg-base", "--host", "h.example", "--port", "{}"},
                         {"sed", "add", "rg-base", "--host", "h.example", "--transport", "{}"},
                         {"sed", "add", "{}", "--host", "h.example"},
                         {"sed", "remove", "{}"},
                         {"sed", "list", "--route-group", "{}"},
                     });
}

TEMPLATE_TEST_CASE(
    "speerctl: injection probes through trust-anchor, import, export and audit "
    "arguments",
    "[speerctl][attack]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  probe_commands(ts, {
                         {"trust-anchor", "add", "{}", kDs},
                         {"trust-anchor", "add", "example.", "{}"},
                         {"trust-anchor", "remove", "{}"},
                         {"trust-anchor", "set-state", "1", "{}"},
                         {"import", "{}"},
                         {"export", "--format", "{}"},
                         {"audit", "list", "--by", "{}"},
                         {"audit", "list", "--type", "{}"},
                         {"audit", "list", "--since", "{}"},
                     });
}

}  // namespace speerd::store::test
