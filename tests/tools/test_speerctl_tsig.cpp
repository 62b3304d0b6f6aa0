// speerctl client tsig (issue 14, RFC 8945): keys added, generated (the
// secret printed once), listed by name only, removed; hmac-sha256 only, and
// bad base64 or a short secret refused with a message that names what was
// wrong and never echoes the secret.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "tests/tools/speerctl_run.hpp"

namespace speerd::store::test {

TEST_CASE("speerctl client tsig: add, generate, list names only, remove", "[speerctl][tsig]") {
  TestStore ts(Backend::sqlite);
  auto run = [&](std::vector<std::string> args, int want = 0) {
    const Run r = speerctl(with_store(ts, std::move(args)), {"USER=alice"});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == want);
    return r;
  };
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
  run({"store", "init"});
  Run added = run({"client", "add", "sbc-a", "--cert-name", "CN=sbc-a", "--tree", "e164.arpa",
                   "--tsig-required"});
  CHECK(added.err.find("requires TSIG and has no key yet") != std::string::npos);
  run({"client", "add", "sbc-b", "--cert-name", "CN=sbc-b", "--tree", "e164.arpa"});

  Run r = run({"client", "tsig", "add", "sbc-a", "--key-name", "SBC-A.tsig", "--secret", secret});
  CHECK(r.out.find(secret) == std::string::npos);
  r = run({"client", "tsig", "add", "sbc-b", "--key-name", "sbc-b.tsig", "--generate"});
  // Printed once, as base64 of 32 bytes (44 characters).
  const auto at = r.out.find("secret: ");
  REQUIRE(at != std::string::npos);
  const std::string generated = r.out.substr(at + 8, 44);
  CHECK(generated.back() == '=');

  for (const auto& args : {std::vector<std::string>{"client", "list"},
                           std::vector<std::string>{"client", "list", "--json"},
                           std::vector<std::string>{"client", "show", "sbc-a"},
                           std::vector<std::string>{"audit", "list", "--json"}}) {
    r = run(args);
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.out.find(generated) == std::string::npos);
  }
  r = run({"client", "list", "--json"});
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["tsig_keys"] == nlohmann::json::array({"sbc-a.tsig."}));
  CHECK(j[0]["tsig_required"] == true);
  CHECK(j[1]["tsig_keys"] == nlohmann::json::array({"sbc-b.tsig."}));
  CHECK(j[1]["tsig_required"] == false);

  // A key name names one client.
  r = run({"client", "tsig", "add", "sbc-b", "--key-name", "sbc-a.tsig", "--secret", secret}, 5);
  CHECK(r.err.find("belongs to client") != std::string::npos);
  r = run({"client", "tsig", "remove", "sbc-a", "--key-name", "sbc-a.tsig"});
  r = run({"client", "tsig", "remove", "sbc-a", "--key-name", "sbc-a.tsig"}, 4);
  CHECK(r.err.find("no TSIG key sbc-a.tsig.") != std::string::npos);
  run({"client", "update", "sbc-a", "--tsig-optional"});
  CHECK(nlohmann::json::parse(run({"client", "list", "--json"}).out)[0]["tsig_required"] == false);
}

TEST_CASE("speerctl client tsig: bad input is refused by name", "[speerctl][tsig]") {
  TestStore ts(Backend::sqlite);
  auto run = [&](std::vector<std::string> args, int want) {
    const Run r = speerctl(with_store(ts, std::move(args)), {"USER=alice"});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == want);
    return r;
  };
  run({"store", "init"}, 0);
  run({"client", "add", "sbc-a", "--cert-name", "CN=sbc-a", "--tree", "e164.arpa"}, 0);
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
  const std::vector<std::string> add{"client", "tsig", "add", "sbc-a", "--key-name", "k.tsig"};
  auto with = [&](std::vector<std::string> more) {
    auto a = add;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };

  Run r = run(with({"--secret", secret, "--algorithm", "hmac-md5"}), 2);
  CHECK(r.err.find("--algorithm") != std::string::npos);
  CHECK(r.err.find("only hmac-sha256") != std::string::npos);
  r = run(with({"--secret", "c2VjcmV0IQ"}), 2);  // no padding
  CHECK(r.err.find("not base64") != std::string::npos);
  CHECK(r.err.find("c2VjcmV0IQ") == std::string::npos);  // never echoed
  r = run(with({"--secret", "not*base64*at*all="}), 2);
  CHECK(r.err.find("not base64") != std::string::npos);
  const std::string short_secret = "c2hvcnQtc2VjcmV0LW9mLTE2Yg==";  // 19 bytes
  r = run(with({"--secret", short_secret}), 2);
  CHECK(r.err.find("19 bytes: at least 32") != std::string::npos);
  CHECK(r.err.find(short_secret) == std::string::npos);
  r = run(add, 2);
  CHECK(r.err.find("--generate") != std::string::npos);
  run(with({"--secret", secret, "--generate"}), 2);  // one or the other
  run({"client", "tsig", "add", "nobody", "--key-name", "k.tsig", "--secret", secret}, 4);
  run({"client", "tsig", "add", "sbc-a", "--key-name", "bad_name!", "--secret", secret}, 2);

  // Nothing of it was stored.
  const auto j = nlohmann::json::parse(run({"client", "list", "--json"}, 0).out);
  CHECK(j[0]["tsig_keys"] == nlohmann::json::array());
}

TEMPLATE_TEST_CASE(
    "speerctl export/import: sources, tsig_required and TSIG keys, secrets only with "
    "--with-secrets, in a 0600 file",
    "[speerctl][tsig]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  TestStore other(TestType::value);
  auto run = [&](const TestStore& store, std::vector<std::string> args, int want) {
    const Run r = speerctl(with_store(store, std::move(args)), {"USER=alice"});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == want);
    return r;
  };
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
  run(ts, {"store", "init"}, 0);
  run(other, {"store", "init"}, 0);
  run(ts,
      {"client", "add", "sbc-a", "--cert-name", "CN=sbc-a", "--tree", "e164.arpa", "--source",
       "192.0.2.0/24", "--source", "2001:db8::/32", "--tsig-required"},
      0);
  run(ts, {"client", "tsig", "add", "sbc-a", "--key-name", "sbc-a.tsig", "--secret", secret}, 0);

  // Without --with-secrets: the key by name, no secret; import refuses it
  // by line, field and key, and the target store stays empty.
  const auto bare = ts.dir() / "bare.csv";
  run(ts, {"export", bare.string()}, 0);
  const std::string bare_text = read_file(bare);
  CHECK(bare_text.find(secret) == std::string::npos);
  CHECK(bare_text.find("192.0.2.0/24 2001:db8::/32,true\ntsig-key,sbc-a,sbc-a.tsig.,"
                       "hmac-sha256,\n") != std::string::npos);
  Run r = run(other, {"import", bare.string()}, 2);
  CHECK(r.err.find("field 5 (secret): TSIG key sbc-a.tsig. has no secret") != std::string::npos);
  CHECK(r.err.find("--with-secrets") != std::string::npos);
  CHECK(nlohmann::json::parse(run(other, {"client", "list", "--json"}, 0).out).empty());

  // With it: owner-only, and the client comes back whole.
  const auto full = ts.dir() / "full.csv";
  run(ts, {"export", full.string(), "--with-secrets"}, 0);
  struct stat st {};
  REQUIRE(::stat(full.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(read_file(full).find(secret) != std::string::npos);
  run(other, {"import", full.string()}, 0);
  const auto j = nlohmann::json::parse(run(other, {"client", "list", "--json"}, 0).out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["sources"] == nlohmann::json::array({"192.0.2.0/24", "2001:db8::/32"}));
  CHECK(j[0]["tsig_required"] == true);
  CHECK(j[0]["tsig_keys"] == nlohmann::json::array({"sbc-a.tsig."}));
  CHECK(run(other, {"export", "--with-secrets"}, 0).out == read_file(full));
  // Importing it again: the client exists, nothing changes.
  r = run(other, {"import", full.string()}, 5);
  CHECK(r.err.find("line ") != std::string::npos);
  CHECK(run(other, {"export", "--with-secrets"}, 0).out == read_file(full));
}

}  // namespace speerd::store::test
