// speerctl's store commands, run as a process against both backends: exit
// codes, messages, --json output, and the store unchanged after bad input
// (the injection corpus through every argument) and bad credentials.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "sed-store/transfer.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tools/speerctl/command.hpp"

extern char** environ;

namespace speerd::store::test {
namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

std::string speerctl_path() {
  const char* v = std::getenv("SPEERCTL");
  return v != nullptr ? v : SPEERD_TEST_SPEERCTL;
}

// Runs speerctl with args; the environment is ours without SPEERD_STORE,
// plus `env`.
Run speerctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv_s{speerctl_path()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SPEERD_STORE=", 13) != 0) env_s.emplace_back(*e);
  }
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out[2];
  int err[2];
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    close(out[1]);
    close(err[1]);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  Run r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The contents of `f` from the start.
std::string slurp(std::FILE* f) {
  std::string text;
  std::rewind(f);
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  return text;
}

// Runs speerctl::run -- what speerctl's main() is -- in this process, with its
// stdout and stderr captured and the environment of speerctl() below (no
// SPEERD_STORE, USER=probe-runner): one process for a whole probe corpus instead
// of one per probe (a sanitizer build starts each process in a quarter second).
Run speerctl_here(const std::vector<std::string>& args) {
  std::vector<std::string> argv_s{"speerctl"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (auto& a : argv_s) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  const char* store = std::getenv("SPEERD_STORE");
  const std::string saved_store = store != nullptr ? store : "";
  ::unsetenv("SPEERD_STORE");
  const char* user = std::getenv("USER");
  const std::string saved_user = user != nullptr ? user : "";
  ::setenv("USER", "probe-runner", 1);
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  REQUIRE(out != nullptr);
  REQUIRE(err != nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const int saved_out = dup(1);
  const int saved_err = dup(2);
  dup2(fileno(out), 1);
  dup2(fileno(err), 2);
  Run r;
  r.code = speerctl::run(static_cast<int>(argv_s.size()), argv.data());
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  r.out = slurp(out);
  r.err = slurp(err);
  std::fclose(out);
  std::fclose(err);
  if (!saved_store.empty()) ::setenv("SPEERD_STORE", saved_store.c_str(), 1);
  if (user != nullptr) {
    ::setenv("USER", saved_user.c_str(), 1);
  } else {
    ::unsetenv("USER");
  }
  return r;
}

std::vector<std::string> with_store(const TestStore& ts, std::vector<std::string> args) {
  args.push_back("--store");
  args.push_back(ts.uri());
  return args;
}

// A listing's value (by value: ranging over .value() of a temporary dangles).
template <typename T>
T got(Result<T> r) {
  if (!r) FAIL(r.error().message);
  return std::move(r).value();
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void load_base(Store& s) {
  std::ifstream in(data_path("import/base.csv"));
  auto r = transfer::import(s, in, transfer::Format::csv, WriteContext{"setup"});
  if (!r) FAIL(r.error().message);
}

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

constexpr const char* kDs =
    "example. 3600 IN DS 56021 13 2 "
    "2c2ffbe76679e6146c7caafa943beab6ce58fa547922a2cec0199e559cd356a5";

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

TEMPLATE_TEST_CASE("speerctl: every store command group, end to end", "[speerctl]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto run = [&](std::vector<std::string> args, int want = 0) {
    const Run r = speerctl(with_store(ts, std::move(args)), {"USER=alice"});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == want);
    return r;
  };
  auto json = [&](std::vector<std::string> args) {
    args.push_back("--json");
    const Run r = run(std::move(args));
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
  };
  // Before init: "not a store", exit 3, nothing created (sqlite).
  const Run before = run({"client", "list"}, 3);
  CHECK(before.err.find("store init") != std::string::npos);
  run({"store", "init"});
  run({"store", "init"});  // idempotent
  run({"client", "add", "sbc-a", "--cert-name", "CN=sbc-a", "--tree", "e164.arpa", "--tree",
       "e164.example", "--rate", "50", "--burst", "60"});
  run({"client", "add", "sbc-b", "--spki-pin",
       "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "--disabled"});
  run({"client", "add", "sbc-a", "--cert-name", "CN=other"}, 5);
  run({"client", "add", "sbc-c"}, 2);  // no identity
  run({"client", "update", "sbc-b", "--enable", "--description", "O'Reilly; --"});
  auto clients = json({"client", "list"});
  REQUIRE(clients.size() == 2);
  CHECK(clients[0]["name"] == "sbc-a");
  CHECK(clients[0]["trees"] == nlohmann::json::array({"e164.arpa.", "e164.example."}));
  CHECK(clients[0]["rate"] == 50);
  CHECK(clients[1]["rate"].is_null());  // added without --rate: [limits] applies
  CHECK(clients[1]["rate_source"] == "config");
  CHECK(clients[1]["enabled"] == true);
  CHECK(clients[1]["description"] == "O'Reilly; --");
  CHECK(json({"client", "show", "sbc-b"}).size() == 1);
  run({"client", "show", "nobody"}, 4);

  run({"dest-group", "add", "dg-us", "--description", "US"});
  run({"dest-group", "add", "dg-x"});
  run({"number", "add", "dg-us", "12155551234", "12155550000-12155559999"});
  run({"number", "add", "dg-us", "1215", "--kind", "prefix"});
  run({"number", "add", "dg-x", "12155551234"}, 5);
  run({"number", "add", "dg-x", "19999", "--kind", "rn"});
  run({"route-group", "add", "rg-us", "--dest-group", "dg-us", "--priority", "5"});
  run({"route-group", "attach", "rg-us", "dg-x"});
  run({"route-group", "detach", "rg-us", "dg-x"});
  run({"route-group", "detach", "rg-us", "dg-x"}, 4);
  run({"route-group", "update", "rg-us", "--priority", "7"});
  const Run sed = run({"sed", "add", "rg-us", "--host", "sbc1.peer.example", "--port", "5061",
                       "--transport", "tls", "--priority", "1"});
  CHECK(sed.out.rfind("SED record ", 0) == 0);
  run({"sed", "add", "rg-us", "--uri", "sip:peer.example"});
  run({"sed", "add", "rg-us", "--uri", "sip:peer.example", "--host", "x.example"}, 2);
  run({"offer", "add", "rg-us", "sbc-a"});
  auto found = json({"number", "find", "12155550001", "--client", "sbc-a"});
  CHECK(found["destination_group"] == "dg-us");
  CHECK(found["matched"]["kind"] == "range");
  CHECK(found["routes"].size() == 2);
  CHECK(found["routes"][0]["host"] == "sbc1.peer.example");
  run({"number", "find", "12155550001", "--client", "sbc-b"}, 4);  // not offered
  run({"number", "find", "+1215", "--client", "sbc-a"}, 2);
  CHECK(json({"number", "list", "--dest-group", "dg-us"}).size() == 3);
  CHECK(json({"route-group", "list"})[0]["dest_groups"] == nlohmann::json::array({"dg-us"}));
  CHECK(json({"sed", "list", "--route-group", "rg-us"}).size() == 2);
  CHECK(json({"offer", "list", "--client", "sbc-a"}).size() == 1);
  CHECK(json({"dest-group", "list"}).size() == 2);

  run({"trust-anchor", "add", "example", kDs});
  run({"trust-anchor", "add", "peers.example", kDs}, 2);  // owner is not the zone
  auto anchors = json({"trust-anchor", "list"});
  REQUIRE(anchors.size() == 1);
  CHECK(anchors[0]["key_tag"] == 56021);
  CHECK(anchors[0]["added_by"] == "alice");
  const std::string anchor_id = anchors[0]["id"].dump();
  run({"trust-anchor", "set-state", anchor_id, "inactive"});
  CHECK(json({"trust-anchor", "list"}).empty());
  CHECK(json({"trust-anchor", "list", "--all"}).size() == 1);
  // Anchors from a file, one per line.
  const auto anchor_file = ts.dir() / "anchors.txt";
  std::ofstream(anchor_file)
      << "; comment\n"
      << "peers.example. IN DNSKEY 257 3 13 "
         "U9vPI1LiMcLsN8Xgkbwc5YDkSuXCy2DR5WDGNDn8Jr1CKteWX959PCt5UE19MyZMHur8"
         "TuFjoj8Adeuez5Ux/w==\n";
  run({"trust-anchor", "add", "peers.example", "--file", anchor_file.string()});
  run({"trust-anchor", "remove", anchor_id});
  run({"trust-anchor", "remove", anchor_id}, 4);

  // Export, then import into a second store: the same export.
  const auto exported = ts.dir() / "export.csv";
  run({"export", exported.string()});
  const Run stdout_export = run({"export", "--format", "json"});
  CHECK(stdout_export.out.find("\"type\":\"client\"") != std::string::npos);
  TestStore other(TestType::value);
  {
    const Run r = speerctl({"store", "init", "--store", other.uri()});
    REQUIRE(r.code == 0);
    const Run imp = speerctl({"import", exported.string(), "--store", other.uri()});
    INFO(imp.err);
    REQUIRE(imp.code == 0);
    const Run again = speerctl({"export", "--store", other.uri()});
    CHECK(again.out == read_file(exported));
  }
  // Audit: who did what (the actor from $USER, or --actor).
  run({"dest-group", "add", "dg-audit", "--actor", "bob@ops"});
  auto audit = json({"audit", "list", "--limit", "1"});
  REQUIRE(audit.size() == 1);
  CHECK(audit[0]["actor"] == "bob@ops");
  CHECK(audit[0]["after"]["name"] == "dg-audit");
  CHECK(json({"audit", "list", "--by", "alice", "--type", "client"}).size() == 3);
  auto info = json({"store", "info"});
  CHECK(info["clients"] == 2);
  CHECK(info["schema_version"] == known_schema_version());
  // Removal order is enforced.
  run({"dest-group", "remove", "dg-us"}, 5);
  run({"client", "remove", "sbc-a"}, 5);
  run({"offer", "remove", "rg-us", "sbc-a"});
  run({"client", "remove", "sbc-a"});
}

TEMPLATE_TEST_CASE("speerctl: SPEERD_STORE, and no store at all", "[speerctl]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  { ts.open(); }
  const Run env = speerctl({"dest-group", "list", "--json"}, {"SPEERD_STORE=" + ts.uri()});
  CHECK(env.code == 0);
  CHECK(env.out == "[]\n");
  const Run none = speerctl({"dest-group", "list"});
  CHECK(none.code == 2);
  CHECK(none.err.find("--store") != std::string::npos);
  const Run bad = speerctl({"dest-group", "list", "--store", "mysql://x"});
  CHECK(bad.code == 3);
}

TEST_CASE("speerctl: files that are not a store give exit 3 and stay untouched", "[speerctl]") {
  TestStore ts(Backend::sqlite);
  const auto dir = ts.dir();
  std::string random(4096, '\0');
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>(i * 7919 % 251);
  std::ofstream(dir / "random.db", std::ios::binary) << random;
  std::ofstream(dir / "empty.db");
  for (const char* name : {"random.db", "empty.db"}) {
    const auto path = dir / name;
    const std::string before = read_file(path);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"client", "list"},
          std::vector<std::string>{"dest-group", "add", "x"},
          std::vector<std::string>{"store", "init"},
          std::vector<std::string>{"import", data_path("import/base.csv").string()}}) {
      auto a = args;
      a.push_back("--store");
      a.push_back("sqlite:" + path.string());
      const Run r = speerctl(a);
      INFO(name << ": " << r.err);
      CHECK(r.code == 3);
      CHECK(r.err.find("not a speerd store") != std::string::npos);
      CHECK(r.out.empty());
    }
    CHECK(read_file(path) == before);
  }
  // A missing file: exit 3 with a hint, and still missing.
  const Run missing =
      speerctl({"client", "list", "--store", "sqlite:" + (dir / "nope.db").string()});
  CHECK(missing.code == 3);
  CHECK(missing.err.find("store init") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "nope.db"));
}

TEST_CASE("speerctl: bad PostgreSQL credentials give exit 3 and no secrets", "[speerctl]") {
  const std::string port = pg_env("SPEERD_PG_PORT");
  REQUIRE_FALSE(port.empty());
  struct Case {
    std::string uri;
    std::string words;
  };
  const std::vector<Case> cases{
      {"postgresql://speerd_auth:not-the-password@127.0.0.1:" + port + "/postgres",
       "password authentication failed"},
      {"postgresql://nobody@127.0.0.1:" + port + "/postgres", "nobody"},
      {"postgresql://postgres@127.0.0.1:1/postgres", "failed"},
      {"postgresql://postgres@127.0.0.1:" + port + "/missing_db", "missing_db"},
  };
  for (const auto& k : cases) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"client", "list"},
          std::vector<std::string>{"client", "add", "x", "--cert-name", "CN=x"},
          std::vector<std::string>{"store", "init"}}) {
      auto a = args;
      a.push_back("--store");
      a.push_back(k.uri);
      const Run r = speerctl(a);
      INFO(k.uri << ": " << r.err);
      CHECK(r.code == 3);
      CHECK(r.err.find(k.words) != std::string::npos);
      CHECK(r.err.find("not-the-password") == std::string::npos);
      CHECK(r.out.empty());
    }
  }
}

TEST_CASE("speerctl: a PostgreSQL role without write rights reads but cannot write", "[speerctl]") {
  TestStore ts(Backend::postgres);
  {
    auto s = ts.open();
    load_base(*s);
  }
  try {
    ts.exec_raw("CREATE ROLE speerd_reader LOGIN");
  } catch (const pqxx::sql_error&) {
    // Made by an earlier run against the same server.
  }
  ts.exec_raw("GRANT SELECT ON ALL TABLES IN SCHEMA public TO speerd_reader");
  const std::string uri = ts.uri();
  const std::string reader = "postgresql://speerd_reader@" + uri.substr(uri.find('@') + 1);
  const Run list = speerctl({"client", "list", "--json", "--store", reader});
  CHECK(list.code == 0);
  const Run add = speerctl({"dest-group", "add", "dg-new", "--store", reader});
  CHECK(add.code == 3);
  CHECK(add.err.find("permission denied") != std::string::npos);
  auto s = ts.open();
  CHECK(s->info()->destination_groups == 2);
}

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
