// Import and export of a whole store, as CSV or JSON Lines (one JSON object
// per line). Both formats carry the same rows; each row is one object:
//
//   type          fields (in CSV order, after the type)
//   client        name, cert_name, spki_pin, rate, burst, enabled, trees, description,
//                 options, sources, tsig_required
//   tsig-key      client, name, algorithm, secret
//   dest-group    name, description
//   number        dest_group, value
//   range         dest_group, value, end
//   prefix        dest_group, value
//   rn            dest_group, value
//   route-group   name, priority, enabled, dest_groups, description
//   sed           route_group, priority, uri, host, port, transport
//   offer         route_group, client
//   trust-anchor  zone, state, rr
//
// CSV: RFC 4180 quoting, one row per line, '#' lines and blank lines ignored;
// list fields (trees, sources, dest_groups) are space-separated. A client
// row may end after description or options (rows of older exports). JSON: {"type": ...,
// field: value}; lists are arrays, rate/burst/priority/port numbers, enabled a
// boolean. An empty or missing optional field takes its default.
//
// A row may only refer to objects defined on earlier lines or already in the
// store. An import is one transaction: all rows or none. Errors name the line
// and the field. Export writes rows in an order that imports again (clients,
// destination groups, route groups, identifiers, SED, offers, anchors), from
// one read snapshot; the same content gives the same bytes on both backends.
//
// TSIG keys: export writes each key's client, name and algorithm, and its
// secret only with ExportOptions::with_secrets (`speerctl export
// --with-secrets`, file mode 0600). Importing a tsig-key row without a secret
// is an error naming the line, the field and the key (fail closed: a client
// is never left with a key it cannot use, nor one silently dropped); the
// import changes nothing then. A tsig-key row adds the key to its client
// (UpdateClient::add_tsig_keys): a key name another client has is a conflict.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "enum/names.hpp"
#include "sed-store/changes.hpp"
#include "sed-store/store.hpp"

namespace speerd::store::transfer {

enum class Format { csv, json };
SPEERD_ENUM_NAMES(Format, json, "csv", "json");

std::optional<Format> parse_format(std::string_view name);     // "csv" | "json"
std::optional<Format> format_for_path(std::string_view path);  // by extension
inline std::string_view to_string(Format f) {
  return enum_name(f);
}

// The changes an import applies, and the line each came from.
struct Parsed {
  Format format = Format::csv;
  std::vector<Change> changes;
  std::vector<std::size_t> lines;
};

// Parses the whole input (nothing touches the store). ErrorCode::invalid
// with "line N, field K (name): ..." (CSV) or "line N, field "name": ..."
// (JSON) on the first bad row.
Result<Parsed> parse(std::istream& in, Format format);

struct ImportReport {
  std::size_t rows = 0;
  std::uint64_t change_counter = 0;
};

// parse() + one Store::apply(); a store error is reported with the line and
// field of the row that caused it.
Result<ImportReport> import(Store& store, std::istream& in, Format format, const WriteContext& ctx);

// Maps an apply() error for `parsed` to its line and field.
Error locate(Error e, const Parsed& parsed);

struct ExportReport {
  std::size_t rows = 0;
};

struct ExportOptions {
  bool with_secrets = false;  // TSIG secrets in the tsig-key rows
};

Result<ExportReport> export_all(Store& store, std::ostream& out, Format format,
                                const ExportOptions& options = {});

}  // namespace speerd::store::transfer
