// speerctl run from the tests (tests/tools): as a process, or in this process
// through speerctl::run (what its main() is), with the output captured.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/sed-store/fixture.hpp"

namespace speerd::store::test {

// One run of speerctl: exit code and what it wrote.
struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs the speerctl binary (SPEERCTL, else the built one) with args; the
// environment is ours without SPEERD_STORE, plus `env`.
Run speerctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// Runs speerctl::run -- what speerctl's main() is -- in this process, with its
// stdout and stderr captured and the environment of speerctl() (no
// SPEERD_STORE, USER=probe-runner): one process for a whole probe corpus instead
// of one per probe (a sanitizer build starts each process in a quarter second).
Run speerctl_here(const std::vector<std::string>& args);

// args + "--store <ts's URI>".
std::vector<std::string> with_store(const TestStore& ts, std::vector<std::string> args);

// A listing's value (by value: ranging over .value() of a temporary dangles).
template <typename T>
T got(Result<T> r) {
  if (!r) FAIL(r.error().message);
  return std::move(r).value();
}

std::string read_file(const std::filesystem::path& p);

// Imports tests/data/store/import/base.csv.
void load_base(Store& s);

// A DS record for the zone "example." (trust-anchor commands).
constexpr const char* kDs =
    "example. 3600 IN DS 56021 13 2 "
    "2c2ffbe76679e6146c7caafa943beab6ce58fa547922a2cec0199e559cd356a5";

}  // namespace speerd::store::test
