#include "tools/speerctl/store_opt.hpp"

#include <pwd.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tools/speerctl/command.hpp"

namespace speerctl {

namespace st = speerd::store;

void add_store_option(CLI::App* cmd, StoreOptions& o) {
  cmd->add_option("--store", o.uri, "the store: sqlite:PATH or postgresql://... (env SPEERD_STORE)")
      ->envname("SPEERD_STORE")
      ->required();
  cmd->add_option("--retry-for", o.retry_for_s,
                  "PostgreSQL: wait and retry this long (seconds) while the store is "
                  "unavailable or failing over (default: 30 for a URI naming several hosts, "
                  "else 0)")
      ->check(CLI::Range(0.0, 3600.0));
}

void add_actor_option(CLI::App* cmd, StoreOptions& o) {
  cmd->add_option("--actor", o.actor, "who makes the change, for the audit trail (default: $USER)");
  cmd->add_option("--operation-id", o.operation_id,
                  "the write's id ([A-Za-z0-9._:@+-], up to 128): the store applies an id "
                  "once; rerun a write whose outcome was unknown with the id it printed "
                  "(default: a fresh random id)");
}

void add_json_option(CLI::App* cmd, StoreOptions& o) {
  cmd->add_flag("--json", o.json, "print the listing as JSON");
}

CLI::Option* add_list_option(CLI::App* cmd, const std::string& flags,
                             std::vector<std::string>& into, const std::string& help) {
  return cmd->add_option(flags, into, help + " (repeat for more)")->allow_extra_args(false);
}

int exit_code_for(st::ErrorCode code) {
  switch (code) {
    case st::ErrorCode::invalid:
      return exit_code::kUsage;
    case st::ErrorCode::not_found:
      return exit_code::kNotFound;
    case st::ErrorCode::conflict:
      return exit_code::kConflict;
    case st::ErrorCode::unavailable:
    case st::ErrorCode::not_a_store:
    case st::ErrorCode::schema_too_new:
    case st::ErrorCode::schema_too_old:
    case st::ErrorCode::corrupt:
    case st::ErrorCode::read_only:
      return exit_code::kConfig;
    case st::ErrorCode::internal:
      return exit_code::kInternal;
  }
  return exit_code::kInternal;
}

void fail(const st::Error& e) {
  throw Exit(exit_code_for(e.code), e.message);
}

std::unique_ptr<st::Store> open_or_exit(const StoreOptions& o, const st::OpenOptions& options) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + retry_budget(o);
  auto pause = std::chrono::milliseconds(100);
  auto s = st::open_store(o.uri, options);
  for (int attempt = 1; !s && transient(s.error(), o.uri) && clock::now() + pause <= deadline;
       ++attempt) {
    std::fprintf(stderr, "speerctl: open the store: attempt %d: %s; retrying\n", attempt,
                 s.error().message.c_str());
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    s = st::open_store(o.uri, options);
  }
  if (!s) {
    const int code = s.error().code == st::ErrorCode::invalid ? exit_code::kConfig
                                                              : exit_code_for(s.error().code);
    throw Exit(code, "store: " + s.error().message);
  }
  return std::move(*s);
}

std::string actor_of(const StoreOptions& o) {
  if (!o.actor.empty()) return o.actor;
  for (const char* var : {"USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  }
  // No login variables (containers, cron): the account running speerctl.
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  throw Exit(exit_code::kUsage, "no actor: give --actor NAME (or set $USER)");
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
}

namespace {

std::string cell(const st::Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_array()) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + cell(x);
    return out;
  }
  return v.dump();
}

}  // namespace

void print_listing(const StoreOptions& o, const st::Json& items,
                   const std::vector<std::string>& columns) {
  if (o.json) {
    std::printf("%s\n", items.dump(2).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> width;
  for (const auto& c : columns) width.push_back(c.size());
  for (const auto& item : items) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      row.push_back(item.contains(columns[i]) ? cell(item[columns[i]]) : "");
      width[i] = std::max(width[i], row.back().size());
    }
    rows.push_back(std::move(row));
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (std::size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  std::vector<std::string> header;
  for (const auto& c : columns) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), [](char ch) { return ch == '_' ? ' ' : ch; });
    header.push_back(h);
  }
  line(header);
  for (const auto& r : rows) line(r);
}

}  // namespace speerctl
