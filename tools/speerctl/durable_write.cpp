#include "tools/speerctl/durable_write.hpp"

#include <array>
#include <cstdio>
#include <random>
#include <thread>

#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

std::vector<std::string>& invocation() {
  static std::vector<std::string> args;
  return args;
}

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void fnv(std::uint64_t& h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  h ^= 0xff;  // a separator no argument byte sequence can fake
  h *= kFnvPrime;
}

std::string hex64(std::uint64_t h) {
  std::array<char, 17> buf{};
  std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(h));
  return buf.data();
}

bool is_postgres(std::string_view uri) {
  return uri.substr(0, 13) == "postgresql://" || uri.substr(0, 11) == "postgres://";
}

// postgresql://user@h1:p1,h2:p2/db?...: a comma in the authority part.
bool names_several_hosts(std::string_view uri) {
  const auto start = uri.find("://");
  if (start == std::string_view::npos) return false;
  std::string_view rest = uri.substr(start + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  return rest.find(',') != std::string_view::npos;
}

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

}  // namespace

void set_invocation(int argc, const char* const* argv) {
  auto& args = invocation();
  args.clear();
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
}

std::string digest_of(std::string_view text) {
  std::uint64_t h = kFnvOffset;
  fnv(h, text);
  return "fnv1a64:" + hex64(h);
}

std::string invocation_digest(std::string_view extra) {
  std::uint64_t h = kFnvOffset;
  const auto& args = invocation();
  static constexpr std::array<std::string_view, 4> kSkipped{"--store", "--actor", "--operation-id",
                                                            "--retry-for"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    bool skip = false;
    for (std::string_view s : kSkipped) {
      if (a == s) {
        ++i;  // and its value
        skip = true;
      } else if (a.substr(0, s.size() + 1) == std::string(s) + "=") {
        skip = true;
      }
    }
    if (!skip) fnv(h, a);
  }
  fnv(h, extra);
  return "fnv1a64:" + hex64(h);
}

std::string operation_id_of(const StoreOptions& o) {
  if (!o.operation_id.empty()) {
    if (auto ok = st::validate::operation_id(o.operation_id); !ok) {
      throw Exit(exit_code::kUsage, "--operation-id " + ok.error());
    }
    return o.operation_id;
  }
  std::random_device rd;
  std::uint64_t a = (std::uint64_t{rd()} << 32) ^ rd();
  std::uint64_t b = (std::uint64_t{rd()} << 32) ^ rd();
  return "speerctl-" + hex64(a) + hex64(b);
}

std::chrono::milliseconds retry_budget(const StoreOptions& o) {
  if (!is_postgres(o.uri)) return std::chrono::milliseconds(0);
  if (o.retry_for_s >= 0) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(o.retry_for_s * 1000));
  }
  return names_several_hosts(o.uri) ? std::chrono::milliseconds(30'000)
                                    : std::chrono::milliseconds(0);
}

bool transient(const st::Error& e, std::string_view uri) {
  if (!is_postgres(uri)) return false;
  if (e.in_doubt) return true;
  const std::string_view m = e.message;
  if (e.code == st::ErrorCode::read_only) {
    // A read-write session on a host that was demoted (or not promoted yet):
    // with target_session_attrs asking for a primary, a new session finds it.
    return contains(uri, "target_session_attrs=read-write") ||
           contains(uri, "target_session_attrs=primary");
  }
  if (e.code != st::ErrorCode::unavailable) return false;
  // Configuration, not the cluster's state: retrying cannot help. (Not "SSL"
  // as such: "SSL SYSCALL error: EOF detected" is how a primary killed under
  // an SSL session looks.)
  for (std::string_view fatal :
       {"password authentication failed", "no pg_hba.conf entry", "does not exist",
        "authentication failed", "certificate verify failed"}) {
    if (contains(m, fatal)) return false;
  }
  return true;
}

WriteOutcome apply_durably(st::Store& store, std::span<const st::Change> changes,
                           const st::WriteContext& ctx, const StoreOptions& o,
                           const std::string& what) {
  using clock = std::chrono::steady_clock;
  const auto budget = retry_budget(o);
  const auto deadline = clock::now() + budget;
  auto pause = std::chrono::milliseconds(100);
  WriteOutcome out{store.apply(changes, ctx), 1, false};
  while (!out.result) {
    const st::Error& e = out.result.error();
    if (e.in_doubt) out.in_doubt = true;
    if (!transient(e, o.uri) || clock::now() + pause > deadline) break;
    std::fprintf(stderr, "speerctl: %s: attempt %d: %s%s; retrying (operation id %s)\n",
                 what.c_str(), out.attempts, e.message.c_str(),
                 e.in_doubt ? " -- the COMMIT was cut off, the write may have been applied" : "",
                 ctx.operation_id.c_str());
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    ++out.attempts;
    out.result = store.apply(changes, ctx);
  }
  return out;
}

std::string describe_done(const WriteOutcome& w, const std::string& op_id) {
  if (w.result->already_applied) {
    if (w.attempts > 1) {
      return "done after " + std::to_string(w.attempts) +
             " attempts: an earlier attempt whose COMMIT was cut off had applied it (once; "
             "operation id " +
             op_id + ", change counter " + std::to_string(w.result->change_counter) + ")";
    }
    return "already applied (operation id " + op_id + ", change counter " +
           std::to_string(w.result->change_counter) + "): nothing changed";
  }
  if (w.attempts > 1) {
    return "done after " + std::to_string(w.attempts) + " attempts (applied once by the last; " +
           "operation id " + op_id + ")";
  }
  return "done";
}

st::ApplyReport apply_or_exit(st::Store& store, std::vector<st::Change> changes,
                              const StoreOptions& o) {
  st::WriteContext ctx{actor_of(o)};
  ctx.operation_id = operation_id_of(o);
  ctx.operation_digest = invocation_digest();
  WriteOutcome w = apply_durably(store, changes, ctx, o, "write");
  if (!w.result) {
    const st::Error& e = w.result.error();
    if (w.in_doubt) {
      throw Exit(exit_code::kInDoubt,
                 "outcome unknown: a COMMIT was cut off and the store did not answer again (" +
                     e.message + "); rerun the same command with --operation-id " +
                     ctx.operation_id + ": it applies the write once or reports it done");
    }
    if (w.attempts > 1) {
      throw Exit(exit_code_for(e.code), "failed after " + std::to_string(w.attempts) +
                                            " attempts, not applied: " + e.message);
    }
    fail(e);
  }
  if (w.attempts > 1 || w.result->already_applied) {
    std::fprintf(stderr, "speerctl: %s\n", describe_done(w, ctx.operation_id).c_str());
  }
  return *w.result;
}

}  // namespace speerctl
