// speerctl import / export: a whole store as CSV or JSON Lines (format in
// sed-store/transfer.hpp). An import is one transaction; errors name the line
// and the field.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

#include "sed-store/limits.hpp"
#include "sed-store/transfer.hpp"
#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;
namespace tr = speerd::store::transfer;

namespace {

tr::Format pick_format(const std::string& flag, const std::string& path) {
  if (!flag.empty()) {
    auto f = tr::parse_format(flag);
    if (!f) throw Exit(exit_code::kUsage, "--format must be csv or json");
    return *f;
  }
  if (auto f = tr::format_for_path(path)) return *f;
  return tr::Format::csv;
}

// --each-row: one transaction per row, each with its own operation id
// (OP:LINE) and digest (the row's text), one status line per row on stdout.
// A row that fails on its data is reported and the next one tried; when the
// store stays unavailable past the retry budget the rest is not attempted.
void import_each_row(st::Store& store, const tr::Parsed& parsed, const std::string& text,
                     const std::string& op, const StoreOptions& o) {
  // Each row's id is OP:LINE; refuse up front an OP that leaves no room for it.
  if (op.size() + 11 > st::kMaxOperationIdLength) {
    throw Exit(exit_code::kUsage, "--operation-id is too long for --each-row (at most " +
                                      std::to_string(st::kMaxOperationIdLength - 11) +
                                      " characters: each row adds :LINE)");
  }
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos <= text.size();) {
    const std::size_t nl = std::min(text.find('\n', pos), text.size());
    lines.push_back(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::size_t done = 0, failed = 0, unknown = 0, skipped = 0;
  int first_code = exit_code::kOk;
  bool store_gone = false;
  const std::string actor = actor_of(o);
  for (std::size_t i = 0; i < parsed.changes.size(); ++i) {
    const std::size_t line = parsed.lines[i];
    const std::string where = "line " + std::to_string(line);
    if (store_gone) {
      ++skipped;
      std::printf("%s: not attempted\n", where.c_str());
      continue;
    }
    st::WriteContext ctx{actor};
    ctx.operation_id = op + ":" + std::to_string(line);
    ctx.operation_digest =
        digest_of(line >= 1 && line <= lines.size() ? lines[line - 1] : std::string_view());
    WriteOutcome w =
        apply_durably(store, std::span<const st::Change>(&parsed.changes[i], 1), ctx, o, where);
    if (w.result) {
      ++done;
      std::printf("%s: %s\n", where.c_str(),
                  w.result->already_applied && w.attempts == 1 ? "done (already applied)"
                  : w.attempts > 1
                      ? ("done (retried, " + std::to_string(w.attempts) + " attempts)").c_str()
                      : "done");
    } else {
      const st::Error& e = w.result.error();
      if (w.in_doubt) {
        ++unknown;
        std::printf("%s: unknown: %s\n", where.c_str(), e.message.c_str());
      } else {
        ++failed;
        std::printf("%s: failed: %s\n", where.c_str(), e.message.c_str());
      }
      if (first_code == exit_code::kOk) first_code = exit_code_for(e.code);
      store_gone = transient(e, o.uri) || w.in_doubt;
    }
    std::fflush(stdout);
  }
  std::printf(
      "import: %zu row(s): %zu done, %zu failed, %zu unknown, %zu not attempted; operation id "
      "%s\n",
      parsed.changes.size(), done, failed, unknown, skipped, op.c_str());
  std::fflush(stdout);
  if (unknown + skipped > 0) {
    throw Exit(unknown > 0 ? exit_code::kInDoubt : first_code,
               "rerun with --each-row --operation-id " + op +
                   " to finish: rows done are reported done again, never applied twice");
  }
  if (failed > 0) throw Exit(first_code, std::to_string(failed) + " row(s) failed");
}

}  // namespace

void register_import_export(CLI::App& app) {
  {
    struct Opts : StoreOptions {
      std::string file, format;
      bool each_row = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "import",
        "Load rows (CSV or JSON Lines) in one transaction: all rows or none (--each-row: one "
        "transaction per row, resumable)");
    cmd->add_option("file", o->file, "the file ('-': stdin)")->required();
    cmd->add_option("--format", o->format, "csv | json (default: from the file name, else csv)");
    cmd->add_flag("--each-row", o->each_row,
                  "apply each row in its own transaction and print one line per row (done, "
                  "failed, unknown); rerun with the same --operation-id to resume: rows "
                  "applied before are reported done, never applied twice");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      const tr::Format format = pick_format(o->format, o->file);
      // Read whole: the digest of an import covers its content, and stdin
      // cannot be read twice.
      std::string text;
      {
        std::ifstream f;
        std::istream* in = &std::cin;
        if (o->file != "-") {
          f.open(o->file, std::ios::binary);
          if (!f) throw Exit(exit_code::kUsage, "cannot read " + st::validate::quote(o->file));
          in = &f;
        }
        std::ostringstream all;
        all << in->rdbuf();
        text = std::move(all).str();
      }
      // Parse first: a bad file fails before the store is even opened.
      std::istringstream in(text);
      auto parsed = tr::parse(in, format);
      if (!parsed) fail(parsed.error());
      auto s = open_or_exit(*o);
      const std::string op = operation_id_of(*o);
      if (o->each_row) {
        import_each_row(*s, *parsed, text, op, *o);
        return;
      }
      st::WriteContext ctx{actor_of(*o)};
      ctx.operation_id = op;
      ctx.operation_digest = invocation_digest(text);
      WriteOutcome w = apply_durably(*s, parsed->changes, ctx, *o, "import");
      if (!w.result) {
        if (w.in_doubt) {
          throw Exit(exit_code::kInDoubt,
                     "import outcome unknown: a COMMIT was cut off and the store did not answer "
                     "again (" +
                         w.result.error().message +
                         "); rerun the same import with --operation-id " + op +
                         ": it applies all rows once or reports them done");
        }
        // Not fail(e) directly: the error is mapped to the line and field first.
        st::Error e = tr::locate(w.result.error(), *parsed);
        if (w.attempts > 1) {
          e.message = "failed after " + std::to_string(w.attempts) +
                      " attempts, no row applied: " + e.message;
        }
        fail(e);
      }
      if (w.attempts > 1 || w.result->already_applied) {
        std::fprintf(stderr, "speerctl: import %s\n", describe_done(w, op).c_str());
      }
      say("imported " + std::to_string(parsed->changes.size()) + " row(s), change counter " +
          std::to_string(w.result->change_counter));
    });
  }
  {
    struct Opts : StoreOptions {
      std::string file = "-", format;
      bool with_secrets = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("export", "Write the whole store as CSV or JSON Lines");
    cmd->add_option("file", o->file, "the file ('-' or none: stdout)");
    cmd->add_option("--format", o->format, "csv | json (default: from the file name, else csv)");
    cmd->add_flag("--with-secrets", o->with_secrets,
                  "include the TSIG keys' secrets (a FILE is then created with mode 0600); "
                  "without it tsig-key rows have an empty secret, which import refuses");
    add_store_option(cmd, *o);
    cmd->callback([o] {
      const tr::Format format = pick_format(o->format, o->file);
      const tr::ExportOptions options{o->with_secrets};
      auto s = open_or_exit(*o);
      if (o->file == "-") {
        auto r = tr::export_all(*s, std::cout, format, options);
        if (!r) fail(r.error());
        return;
      }
      // Written next to the target and renamed: a failed export leaves no
      // half-written file behind.
      const std::string tmp = o->file + ".partial";
      if (o->with_secrets) {
        // Owner-only before a secret is written; the rename keeps the mode.
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ::fchmod(fd, 0600) != 0) {
          if (fd >= 0) ::close(fd);
          throw Exit(exit_code::kUsage, "cannot write " + st::validate::quote(tmp));
        }
        ::close(fd);
      }
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Exit(exit_code::kUsage, "cannot write " + st::validate::quote(tmp));
        auto r = tr::export_all(*s, out, format, options);
        if (!r) {
          std::remove(tmp.c_str());
          fail(r.error());
        }
      }
      if (std::rename(tmp.c_str(), o->file.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Exit(exit_code::kUsage, "cannot write " + st::validate::quote(o->file));
      }
    });
  }
}

}  // namespace speerctl
