#include "sed-store/transfer.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/transfer_rows.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::transfer {

namespace detail {

const std::vector<RowType>& row_types() {
  static const std::vector<RowType> kTypes{
      {RowKind::client,
       "client",
       {"name", "cert_name", "spki_pin", "rate", "burst", "enabled", "trees", "description",
        "options", "sources", "tsig_required"},
       {"name"},
       {"trees", "sources"}},
      // After its client (a later row, or a client already in the store).
      {RowKind::tsig_key,
       "tsig-key",
       {"client", "name", "algorithm", "secret"},
       {"client", "name"},
       {}},
      {RowKind::dest_group, "dest-group", {"name", "description"}, {"name"}, {}},
      {RowKind::number, "number", {"dest_group", "value"}, {"dest_group", "value"}, {}},
      {RowKind::range, "range", {"dest_group", "value", "end"}, {"dest_group", "value", "end"}, {}},
      {RowKind::prefix, "prefix", {"dest_group", "value"}, {"dest_group", "value"}, {}},
      {RowKind::rn, "rn", {"dest_group", "value"}, {"dest_group", "value"}, {}},
      {RowKind::route_group,
       "route-group",
       {"name", "priority", "enabled", "dest_groups", "description"},
       {"name"},
       {"dest_groups"}},
      {RowKind::sed,
       "sed",
       {"route_group", "priority", "uri", "host", "port", "transport"},
       {"route_group"},
       {}},
      {RowKind::offer, "offer", {"route_group", "client"}, {"route_group", "client"}, {}},
      {RowKind::trust_anchor, "trust-anchor", {"zone", "state", "rr"}, {"zone", "rr"}, {}},
  };
  return kTypes;
}

const RowType* find_type(std::string_view name) {
  for (const auto& t : row_types()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace detail

namespace {

using detail::find_type;
using detail::row_types;
using detail::RowKind;
using detail::RowType;

// A client row of format 1 (before options, sources, tsig_required).
constexpr std::size_t kClientFieldsV1 = 8;

bool contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A field's value: text, or (list fields) a list.
struct Value {
  std::string text;
  std::vector<std::string> list;
};

struct RawRow {
  const RowType* type = nullptr;
  std::vector<Value> values;  // one per type->fields
};

// CSV positions are 1-based and count the type column: field k of the type's
// list is CSV field k + 2. JSON fields go by name.
std::string where(std::size_t line, const RowType* type, std::size_t field_index, Format format) {
  const std::string name(type->fields[field_index]);
  if (format == Format::json) return "line " + std::to_string(line) + ", field \"" + name + "\"";
  return "line " + std::to_string(line) + ", field " + std::to_string(field_index + 2) + " (" +
         name + ")";
}

Error invalid(std::string message) {
  return Error{ErrorCode::invalid, std::move(message), std::nullopt, {}, std::nullopt};
}

// " (expected one of: client, dest-group, ...)": errors name what is
// accepted, never the input itself (RFC 6404: untrusted bytes stay out).
std::string known_types() {
  std::string out;
  for (const auto& t : row_types()) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return " (expected one of: " + out + ")";
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// Splits one CSV line (RFC 4180, no embedded line breaks).
Result<std::vector<std::string>> split_csv(std::string_view line, std::size_t line_no) {
  std::vector<std::string> fields;
  std::string cur;
  std::size_t i = 0;
  for (;;) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cur += line[i++];
      }
      if (!closed) {
        return invalid("line " + std::to_string(line_no) + ", field " +
                       std::to_string(fields.size() + 1) + ": unterminated quoted field");
      }
      if (i < line.size() && line[i] != ',') {
        return invalid("line " + std::to_string(line_no) + ", field " +
                       std::to_string(fields.size() + 1) + ": text after a closing quote");
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') {
          return invalid("line " + std::to_string(line_no) + ", field " +
                         std::to_string(fields.size() + 1) +
                         ": a quote inside an unquoted field (quote the whole field)");
        }
        cur += line[i++];
      }
    }
    fields.push_back(cur);
    if (i >= line.size()) break;
    ++i;  // ','
  }
  return fields;
}

Result<RawRow> raw_from_csv(std::string_view line, std::size_t line_no) {
  auto fields = split_csv(line, line_no);
  if (!fields) return fields.error();
  const RowType* type = find_type((*fields)[0]);
  if (type == nullptr) {
    return invalid("line " + std::to_string(line_no) + ", field 1 (type): unknown row type" +
                   known_types());
  }
  // A client row may end early: rows written before schema 2 have no
  // options, before migration 0006 no sources and tsig_required (none, false).
  if (type->kind == RowKind::client && fields->size() >= kClientFieldsV1 + 1 &&
      fields->size() < type->fields.size() + 1) {
    fields->resize(type->fields.size() + 1);
  }
  if (fields->size() != type->fields.size() + 1) {
    std::string names;
    for (auto f : type->fields) names += (names.empty() ? "" : ", ") + std::string(f);
    return invalid("line " + std::to_string(line_no) + ": a " + std::string(type->name) +
                   " row has " + std::to_string(fields->size() - 1) + " fields after the type, " +
                   "expected " + std::to_string(type->fields.size()) + " (" + names + ")");
  }
  RawRow row;
  row.type = type;
  for (std::size_t k = 0; k < type->fields.size(); ++k) {
    Value v;
    if (contains(type->lists, type->fields[k])) {
      v.list = split_spaces((*fields)[k + 1]);
    } else {
      v.text = std::move((*fields)[k + 1]);
    }
    row.values.push_back(std::move(v));
  }
  return row;
}

Result<RawRow> raw_from_json(std::string_view line, std::size_t line_no) {
  const std::string at = "line " + std::to_string(line_no);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    return invalid(at + ": not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception&) {
    return invalid(at + ": not valid JSON");
  }
  if (!j.is_object()) return invalid(at + ": a row must be a JSON object");
  if (!j.contains("type") || !j["type"].is_string()) {
    return invalid(at + ", field \"type\": missing or not a string");
  }
  const std::string type_name = j["type"].get<std::string>();
  const RowType* type = find_type(type_name);
  if (type == nullptr) {
    return invalid(at + ", field \"type\": unknown row type" + known_types());
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "type" && !contains(type->fields, key)) {
      std::string names;
      for (auto f : type->fields) names += (names.empty() ? "" : ", ") + std::string(f);
      return invalid(at + ": a member that is not a field of a " + std::string(type->name) +
                     " row (fields: " + names + ")");
    }
  }
  RawRow row;
  row.type = type;
  for (std::size_t k = 0; k < type->fields.size(); ++k) {
    const std::string key(type->fields[k]);
    const std::string field_at = at + ", field \"" + key + "\"";
    Value v;
    if (j.contains(key) && !j[key].is_null()) {
      const auto& x = j[key];
      if (contains(type->lists, type->fields[k])) {
        if (!x.is_array()) return invalid(field_at + ": must be an array of strings");
        for (const auto& item : x) {
          if (!item.is_string()) return invalid(field_at + ": must be an array of strings");
          v.list.push_back(item.get<std::string>());
        }
      } else if (x.is_string()) {
        v.text = x.get<std::string>();
      } else if (x.is_boolean()) {
        v.text = x.get<bool>() ? "true" : "false";
      } else if (x.is_number_integer()) {
        v.text = x.dump();
      } else {
        return invalid(field_at + ": must be a string, an integer or a boolean");
      }
    }
    row.values.push_back(std::move(v));
  }
  return row;
}

// Typed conversions of one field; errors carry the line and field.
struct FieldReader {
  const RawRow& row;
  std::size_t line;
  Format format;

  std::size_t index(std::string_view field) const {
    const auto& f = row.type->fields;
    return static_cast<std::size_t>(std::find(f.begin(), f.end(), field) - f.begin());
  }
  const std::string& text(std::string_view field) const { return row.values[index(field)].text; }
  const std::vector<std::string>& list(std::string_view field) const {
    return row.values[index(field)].list;
  }
  Error bad(std::string_view field, const std::string& why) const {
    return invalid(where(line, row.type, index(field), format) + ": " + why);
  }
  Result<bool> boolean(std::string_view field, bool dflt) const {
    const std::string& t = text(field);
    if (t.empty()) return dflt;
    if (t == "true") return true;
    if (t == "false") return false;
    return bad(field, "not true or false");
  }
  Result<std::optional<long long>> integer(std::string_view field) const {
    const std::string& t = text(field);
    if (t.empty()) return std::optional<long long>{};
    long long v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || p != t.data() + t.size()) {
      return bad(field, "not an integer");
    }
    return std::optional<long long>(v);
  }
  Result<std::optional<std::uint32_t>> u32(std::string_view field) const {
    auto v = integer(field);
    if (!v) return v.error();
    if (!*v) return std::optional<std::uint32_t>{};
    if (**v < 0 || **v > std::numeric_limits<std::uint32_t>::max()) {
      return bad(field, std::to_string(**v) + " is out of range");
    }
    return std::optional<std::uint32_t>(static_cast<std::uint32_t>(**v));
  }
  Result<int> priority(std::string_view field) const {
    auto v = integer(field);
    if (!v) return v.error();
    if (!*v) return kDefaultPriority;
    if (**v < std::numeric_limits<int>::min() || **v > std::numeric_limits<int>::max()) {
      return bad(field, std::to_string(**v) + " is out of range");
    }
    return static_cast<int>(**v);  // the range check is the store's
  }
};

Result<Change> to_change(const RawRow& row, std::size_t line, Format format) {
  const FieldReader r{row, line, format};
  for (auto req : row.type->required) {
    if (r.text(req).empty()) return r.bad(req, "is required");
  }
  switch (row.type->kind) {
    case RowKind::client: {
      AddClient c;
      c.name = r.text("name");
      c.cert_name = r.text("cert_name");
      c.spki_pin = r.text("spki_pin");
      // Empty rate and burst: the client follows [limits].
      auto rate = r.u32("rate");
      if (!rate) return rate.error();
      auto burst = r.u32("burst");
      if (!burst) return burst.error();
      c.rate_per_second = *rate;
      c.burst = *burst;
      c.options = r.text("options");
      auto enabled = r.boolean("enabled", true);
      if (!enabled) return enabled.error();
      c.enabled = *enabled;
      c.trees = r.list("trees");
      c.description = r.text("description");
      c.sources = r.list("sources");
      auto tsig_required = r.boolean("tsig_required", false);
      if (!tsig_required) return tsig_required.error();
      c.tsig_required = *tsig_required;
      return Change{std::move(c)};
    }
    case RowKind::tsig_key: {
      // The key name is checked here so that the missing-secret error can
      // name it (a valid name only: untrusted bytes stay out of messages).
      auto name = validate::domain(r.text("name"));
      if (!name) return r.bad("name", name.error());
      if (r.text("secret").empty()) {
        // Fail closed: a key without its secret is no key; an export
        // without --with-secrets leaves secrets out.
        return r.bad("secret", "TSIG key " + *name +
                                   " has no secret: export with --with-secrets, or drop the row "
                                   "and add the key with `speerctl client tsig add`");
      }
      UpdateClient u;
      u.name = r.text("client");
      TsigKey k;
      k.name = *name;
      if (!r.text("algorithm").empty()) k.algorithm = r.text("algorithm");
      k.secret = r.text("secret");
      u.add_tsig_keys.push_back(std::move(k));
      return Change{std::move(u)};
    }
    case RowKind::dest_group:
      return Change{AddDestinationGroup{r.text("name"), r.text("description")}};
    case RowKind::number:
      return Change{
          AddIdentifier{r.text("dest_group"), IdentifierKind::number, r.text("value"), {}}};
    case RowKind::range:
      return Change{AddIdentifier{r.text("dest_group"), IdentifierKind::range, r.text("value"),
                                  r.text("end")}};
    case RowKind::prefix:
      return Change{
          AddIdentifier{r.text("dest_group"), IdentifierKind::prefix, r.text("value"), {}}};
    case RowKind::rn:
      return Change{
          AddIdentifier{r.text("dest_group"), IdentifierKind::routing_number, r.text("value"), {}}};
    case RowKind::route_group: {
      AddRouteGroup g;
      g.name = r.text("name");
      auto prio = r.priority("priority");
      if (!prio) return prio.error();
      g.priority = *prio;
      auto enabled = r.boolean("enabled", true);
      if (!enabled) return enabled.error();
      g.enabled = *enabled;
      g.destination_groups = r.list("dest_groups");
      g.description = r.text("description");
      return Change{std::move(g)};
    }
    case RowKind::sed: {
      AddSed s;
      s.route_group = r.text("route_group");
      auto prio = r.priority("priority");
      if (!prio) return prio.error();
      s.priority = *prio;
      s.uri = r.text("uri");
      s.host = r.text("host");
      s.port = r.text("port");
      s.transport = r.text("transport");
      return Change{std::move(s)};
    }
    case RowKind::offer:
      return Change{AddOffer{r.text("route_group"), r.text("client")}};
    case RowKind::trust_anchor: {
      AddTrustAnchor t;
      t.zone = r.text("zone");
      t.rr = r.text("rr");
      const std::string& state = r.text("state");
      if (!state.empty()) {
        auto s = parse_anchor_state(state);
        if (!s) return r.bad("state", "not active or inactive");
        t.state = *s;
      }
      return Change{std::move(t)};
    }
  }
  return invalid("line " + std::to_string(line) + ": unhandled row type");
}

// The row type an apply() change came from (for mapping field names).
const RowType* type_of(const Change& c) {
  return std::visit(
      [](const auto& x) -> const RowType* {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, AddClient>) return find_type("client");
        if constexpr (std::is_same_v<T, UpdateClient>) return find_type("tsig-key");
        if constexpr (std::is_same_v<T, AddDestinationGroup>) return find_type("dest-group");
        if constexpr (std::is_same_v<T, AddIdentifier>) {
          switch (x.kind) {
            case IdentifierKind::number:
              return find_type("number");
            case IdentifierKind::range:
              return find_type("range");
            case IdentifierKind::prefix:
              return find_type("prefix");
            case IdentifierKind::routing_number:
              return find_type("rn");
          }
        }
        if constexpr (std::is_same_v<T, AddRouteGroup>) return find_type("route-group");
        if constexpr (std::is_same_v<T, AddSed>) return find_type("sed");
        if constexpr (std::is_same_v<T, AddOffer>) return find_type("offer");
        if constexpr (std::is_same_v<T, AddTrustAnchor>) return find_type("trust-anchor");
        return nullptr;
      },
      c);
}

// The row field a store error's field stands for: a tsig-key row is an
// UpdateClient of its client, whose errors name the key's parts so.
std::string_view row_field(const RowType* type, std::string_view store_field) {
  if (type->kind != RowKind::tsig_key) return store_field;
  if (store_field == "tsig_key") return "name";
  if (store_field == "tsig_algorithm") return "algorithm";
  if (store_field == "tsig_secret") return "secret";
  if (store_field == "name") return "client";
  return store_field;
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  if (name == "jsonl") return Format::json;  // JSON Lines' usual extension
  return parse_enum<Format>(name);
}

std::optional<Format> format_for_path(std::string_view path) {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return parse_format(path.substr(dot + 1));
}

Result<Parsed> parse(std::istream& in, Format format) {
  Parsed out;
  out.format = format;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() > kMaxImportLineLength) {
      return invalid("line " + std::to_string(line_no) + ": longer than " +
                     std::to_string(kMaxImportLineLength) + " bytes");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view view = line;
    const auto first = view.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;  // blank
    if (format == Format::csv && view[first] == '#') continue;
    auto raw = format == Format::csv ? raw_from_csv(view, line_no) : raw_from_json(view, line_no);
    if (!raw) return raw.error();
    auto change = to_change(*raw, line_no, format);
    if (!change) return change.error();
    out.changes.push_back(std::move(*change));
    out.lines.push_back(line_no);
  }
  if (in.bad())
    return Error{ErrorCode::unavailable, "reading the input failed", std::nullopt, {}, {}};
  return out;
}

Error locate(Error e, const Parsed& parsed) {
  if (!e.change_index || *e.change_index >= parsed.changes.size()) return e;
  const std::size_t i = *e.change_index;
  const std::size_t line = parsed.lines[i];
  std::string prefix = "line " + std::to_string(line);
  const RowType* type = type_of(parsed.changes[i]);
  if (type != nullptr && !e.field.empty()) {
    const auto& f = type->fields;
    const auto it = std::find(f.begin(), f.end(), row_field(type, e.field));
    if (it != f.end()) {
      prefix = where(line, type, static_cast<std::size_t>(it - f.begin()), parsed.format);
    }
  }
  e.message = prefix + ": " + e.message;
  if (e.related_change_index && *e.related_change_index < parsed.lines.size()) {
    e.message += " (see line " + std::to_string(parsed.lines[*e.related_change_index]) + ")";
  }
  return e;
}

Result<ImportReport> import(Store& store, std::istream& in, Format format,
                            const WriteContext& ctx) {
  auto parsed = parse(in, format);
  if (!parsed) return parsed.error();
  auto applied = store.apply(parsed->changes, ctx);
  if (!applied) return locate(applied.error(), *parsed);
  return ImportReport{parsed->changes.size(), applied->change_counter};
}

}  // namespace speerd::store::transfer
