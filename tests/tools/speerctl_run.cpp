#include "tests/tools/speerctl_run.hpp"

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

std::string speerctl_path() {
  const char* v = std::getenv("SPEERCTL");
  return v != nullptr ? v : SPEERD_TEST_SPEERCTL;
}

// The contents of `f` from the start.
std::string slurp(std::FILE* f) {
  std::string text;
  std::rewind(f);
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  return text;
}

}  // namespace

Run speerctl(const std::vector<std::string>& args, const std::vector<std::string>& env) {
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

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void load_base(Store& s) {
  std::ifstream in(data_path("import/base.csv"));
  auto r = transfer::import(s, in, transfer::Format::csv, WriteContext{"setup"});
  if (!r) FAIL(r.error().message);
}

}  // namespace speerd::store::test
