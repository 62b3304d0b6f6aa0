// speerctl import / export: a whole store as CSV or JSON Lines (format in
// sed-store/transfer.hpp). An import is one transaction; errors name the line
// and the field.
#include <fstream>
#include <iostream>

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

}  // namespace

void register_import_export(CLI::App& app) {
  {
    struct Opts : StoreOptions {
      std::string file, format;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "import", "Load rows (CSV or JSON Lines) in one transaction: all rows or none");
    cmd->add_option("file", o->file, "the file ('-': stdin)")->required();
    cmd->add_option("--format", o->format, "csv | json (default: from the file name, else csv)");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      const tr::Format format = pick_format(o->format, o->file);
      std::ifstream f;
      std::istream* in = &std::cin;
      if (o->file != "-") {
        f.open(o->file, std::ios::binary);
        if (!f) throw Exit(exit_code::kUsage, "cannot read " + st::validate::quote(o->file));
        in = &f;
      }
      // Parse first: a bad file fails before the store is even opened.
      auto parsed = tr::parse(*in, format);
      if (!parsed) fail(parsed.error());
      auto s = open_or_exit(*o);
      // Not apply_or_exit: the error is mapped to the line and field first.
      const std::string who = actor_of(*o);
      auto r = s->apply(parsed->changes, st::WriteContext{who});
      if (!r) fail(tr::locate(r.error(), *parsed));
      say("imported " + std::to_string(parsed->changes.size()) + " row(s), change counter " +
          std::to_string(r->change_counter));
    });
  }
  {
    struct Opts : StoreOptions {
      std::string file = "-", format;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("export", "Write the whole store as CSV or JSON Lines");
    cmd->add_option("file", o->file, "the file ('-' or none: stdout)");
    cmd->add_option("--format", o->format, "csv | json (default: from the file name, else csv)");
    add_store_option(cmd, *o);
    cmd->callback([o] {
      const tr::Format format = pick_format(o->format, o->file);
      auto s = open_or_exit(*o);
      if (o->file == "-") {
        auto r = tr::export_all(*s, std::cout, format);
        if (!r) fail(r.error());
        return;
      }
      // Written next to the target and renamed: a failed export leaves no
      // half-written file behind.
      const std::string tmp = o->file + ".partial";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Exit(exit_code::kUsage, "cannot write " + st::validate::quote(tmp));
        auto r = tr::export_all(*s, out, format);
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
