// The one mechanism behind every setting of speerd.toml: a section is a list
// of rows (key, type, default, bounds or choices, help, reloadable), and one
// reader turns a TOML table into a struct through them. Plain sections
// ([lookup]) and table arrays ([[enum.tree]]) use the same rows and the same
// reader; the resolver's table (config.hpp) and the daemon's
// (resolver/service/settings.hpp) are both lists of such sections, and
// `speerd --help-config` prints them all from here.
//
// Errors have one format, "FILE:LINE: [section] key: what is wrong" (FILE:
// alone when the key is absent and its section too; no prefix for values
// built in code).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <toml.hpp>

#include "enum/expected.hpp"
#include "enum/names.hpp"

namespace speerd::config {

enum class Kind { integer, boolean, string, strings };

// A setting's value as TOML holds it (before any conversion to the struct).
using Value = std::variant<std::int64_t, bool, std::string, std::vector<std::string>>;

std::string to_toml(const Value& v);  // 5, true, "x", ["a", "b"]

struct Flags {
  bool reloadable = true;  // false: a change needs a restart
  bool required = false;   // no default: the key must be given
  // What an absent key means when no value says it (e.g. "the suffix").
  std::string_view absent = {};
};

// What --help-config, the daemon's reload and the house test see of a row,
// whatever struct it fills.
struct RowInfo {
  std::string_view key;
  Kind kind = Kind::string;
  Value fallback;  // the default: what the parser uses when the key is absent
  std::string_view help;
  std::int64_t min = 0;  // integers: inclusive bounds
  std::int64_t max = 0;
  std::vector<std::string_view> choices = {};  // strings: allowed values (empty: any)
  Flags flags = {};
};

struct SectionInfo {
  std::string_view name;  // "limits", "dns.stub"
  bool array = false;     // [[name]]: one table per element
  std::string_view help;
  const std::vector<RowInfo>* rows = nullptr;
};

// "[limits]" or "[[enum.tree]]".
std::string header(const SectionInfo& s);

// The text of `speerd --help-config`: one block per row, under its section.
std::string describe(const std::vector<SectionInfo>& sections);

// The prefix of an error about `near` (the key's value, or its section's
// table): "FILE:LINE: ", "FILE: " or "".
std::string source_of(const toml::value& near);
std::string file_of(const toml::value& root);  // "FILE: " or ""
// The prefix of an error about a key: its value's line if it is in the file,
// else its section's, else the file alone.
std::string source_at(const toml::value& root, std::string_view section, std::string_view key);

// `error`, starting with FILE as every error about the file does.
std::string in_file(const std::filesystem::path& file, std::string error);

// One error: "<source>[section] key: message". `label` is "[limits]" or
// "[[enum.tree]] #2".
Unexpected<std::string> setting_error(const std::string& source, std::string_view label,
                                      std::string_view key, std::string_view message);

// The value at a dotted section path ("dns.stub"), or null.
const toml::value* find_section(const toml::value& root, std::string_view dotted);

// Checks one TOML value against a row (type, range, choices). The message
// names neither the key nor the place; the reader adds both.
Expected<Value> check_value(const RowInfo& row, const toml::value& v);

std::string type_name(const toml::value& v);  // "an integer", "a table", ...

struct Context {
  std::filesystem::path base_dir;  // relative paths in the file are relative to this
};

// One row, typed on the struct it fills. `set` may convert (text to enum,
// relative path to absolute) and may refuse with a message; `get` reads the
// value back as TOML would hold it.
template <typename C>
struct Row {
  RowInfo info;
  std::function<Expected<bool>(C&, const Value&, const Context&)> set;
  std::function<Value(const C&)> get;
};

// Row builders. `field` is a generic lambda returning a reference to the
// member: [](auto& c) -> auto& { return c.cache.max_ttl; }.
template <typename C>
struct Rows {
  template <typename F>
  static Row<C> integer(std::string_view key, F field, std::int64_t def, std::int64_t lo,
                        std::int64_t hi, std::string_view help, Flags flags = {}) {
    return {{key, Kind::integer, def, help, lo, hi, {}, flags},
            [field](C& c, const Value& v, const Context&) -> Expected<bool> {
              auto& out = field(c);
              out = static_cast<std::remove_reference_t<decltype(out)>>(std::get<std::int64_t>(v));
              return true;
            },
            [field](const C& c) -> Value { return static_cast<std::int64_t>(field(c)); }};
  }
  template <typename F>
  static Row<C> boolean(std::string_view key, F field, bool def, std::string_view help,
                        Flags flags = {}) {
    return {{key, Kind::boolean, def, help, 0, 0, {}, flags},
            [field](C& c, const Value& v, const Context&) -> Expected<bool> {
              field(c) = std::get<bool>(v);
              return true;
            },
            [field](const C& c) -> Value { return static_cast<bool>(field(c)); }};
  }
  template <typename F>
  static Row<C> string(std::string_view key, F field, std::string def, std::string_view help,
                       std::vector<std::string_view> choices = {}, Flags flags = {}) {
    return {{key, Kind::string, std::move(def), help, 0, 0, std::move(choices), flags},
            [field](C& c, const Value& v, const Context&) -> Expected<bool> {
              field(c) = std::get<std::string>(v);
              return true;
            },
            [field](const C& c) -> Value { return std::string(field(c)); }};
  }
  // A text setting stored as an enum with a name table (enum/names.hpp).
  template <typename F, typename E>
  static Row<C> choice(std::string_view key, F field, E def, std::string_view help,
                       Flags flags = {}) {
    return {
        {key, Kind::string, std::string(enum_name(def)), help, 0, 0, enum_name_list<E>(), flags},
        [field](C& c, const Value& v, const Context&) -> Expected<bool> {
          field(c) = *parse_enum<E>(std::get<std::string>(v));  // checked by the choices
          return true;
        },
        [field](const C& c) -> Value { return std::string(enum_name(field(c))); }};
  }
  template <typename F>
  static Row<C> strings(std::string_view key, F field, std::vector<std::string> def,
                        std::string_view help, Flags flags = {}) {
    return {{key, Kind::strings, std::move(def), help, 0, 0, {}, flags},
            [field](C& c, const Value& v, const Context&) -> Expected<bool> {
              field(c) = std::get<std::vector<std::string>>(v);
              return true;
            },
            [field](const C& c) -> Value { return std::vector<std::string>(field(c)); }};
  }
};

// Reads one table into `out` through `rows`: every key must be a row (or
// one of `children`, the sub-sections parsed on their own), every row gets
// its value or its default. `table` null: the section is absent.
template <typename E>
Expected<bool> read_rows(const std::vector<Row<E>>& rows, const toml::value* table,
                         const toml::value& root, std::string_view label,
                         const std::vector<std::string_view>& children, E& out,
                         const Context& ctx) {
  const std::string here = table ? source_of(*table) : file_of(root);
  if (table != nullptr && !table->is_table()) {
    return fail(here + std::string(label) + ": expected a table, got " + type_name(*table));
  }
  std::map<std::string, const toml::value*> keys;  // sorted: the first error is stable
  if (table != nullptr) {
    for (const auto& [k, v] : table->as_table()) keys[k] = &v;
  }
  for (const auto& [k, v] : keys) {
    bool known = false;
    for (const auto& child : children) known = known || child == k;
    for (const auto& r : rows) known = known || r.info.key == k;
    if (!known) return setting_error(source_of(*v), label, k, "unknown key");
  }
  for (const auto& r : rows) {
    auto it = keys.find(std::string(r.info.key));
    if (it == keys.end()) {
      if (r.info.flags.required) return setting_error(here, label, r.info.key, "required");
      if (auto s = r.set(out, r.info.fallback, ctx); !s) {
        return setting_error(here, label, r.info.key, s.error());
      }
      continue;
    }
    auto value = check_value(r.info, *it->second);
    if (!value) return setting_error(source_of(*it->second), label, r.info.key, value.error());
    if (auto s = r.set(out, *value, ctx); !s) {
      return setting_error(source_of(*it->second), label, r.info.key, s.error());
    }
  }
  return true;
}

// A section of a table typed on the whole configuration C.
template <typename C>
struct Section {
  SectionInfo info;
  std::vector<RowInfo> rows;
  // Reads the section's value (null: absent) into c.
  std::function<Expected<bool>(C&, const toml::value*, const toml::value& root, const Context&)>
      parse;
  // The current values of element `i` (plain sections: i = 0), row by row.
  std::function<std::vector<Value>(const C&, std::size_t i)> values;
  std::function<std::size_t(const C&)> count;
};

template <typename C>
std::vector<RowInfo> infos_of(const std::vector<Row<C>>& rows) {
  std::vector<RowInfo> out;
  for (const auto& r : rows) out.push_back(r.info);
  return out;
}

// A plain section: rows on C itself. `children` are the keys of
// sub-sections ("stub" in [dns]).
template <typename C>
Section<C> plain_section(std::string_view name, std::string_view help, std::vector<Row<C>> rows,
                         std::vector<std::string_view> children = {}) {
  auto shared = std::make_shared<const std::vector<Row<C>>>(std::move(rows));
  Section<C> s;
  s.info = {name, false, help, nullptr};
  s.rows = infos_of(*shared);
  const std::string label = "[" + std::string(name) + "]";
  s.parse = [shared, label, children](C& c, const toml::value* v, const toml::value& root,
                                      const Context& ctx) {
    return read_rows(*shared, v, root, label, children, c, ctx);
  };
  s.values = [shared](const C& c, std::size_t) {
    std::vector<Value> out;
    for (const auto& r : *shared) out.push_back(r.get(c));
    return out;
  };
  s.count = [](const C&) { return std::size_t{1}; };
  return s;
}

// A table array: rows on the element E; `add` checks what one row cannot
// (say, names used twice) and appends the element to c; `list` gives the
// elements back. `at_least_one`: the message when the array is absent or
// empty (empty: an absent array is fine).
template <typename C, typename E>
struct ArraySpec {
  std::string_view name;
  std::string_view help;
  std::vector<Row<E>> rows;
  std::function<Expected<bool>(C&, E&&, const std::string& source, const std::string& label)> add;
  std::function<const std::vector<E>&(const C&)> list;
  std::string at_least_one = {};
};

template <typename C, typename E>
Section<C> array_section(ArraySpec<C, E> spec) {
  auto shared = std::make_shared<const ArraySpec<C, E>>(std::move(spec));
  Section<C> s;
  s.info = {shared->name, true, shared->help, nullptr};
  s.rows = infos_of(shared->rows);
  s.parse = [shared](C& c, const toml::value* v, const toml::value& root,
                     const Context& ctx) -> Expected<bool> {
    const std::string label = "[[" + std::string(shared->name) + "]]";
    if (v == nullptr || (v->is_array() && v->as_array().empty())) {
      if (shared->at_least_one.empty()) return true;
      return fail(file_of(root) + label + ": " + shared->at_least_one);
    }
    if (!v->is_array()) {
      return fail(source_of(*v) + label + ": expected an array of tables, got " + type_name(*v));
    }
    std::size_t i = 0;
    for (const auto& element : v->as_array()) {
      const std::string at = label + " #" + std::to_string(++i);
      E e{};
      if (auto r = read_rows(shared->rows, &element, root, at, {}, e, ctx); !r) return r;
      if (auto r = shared->add(c, std::move(e), source_of(element), at); !r) return r;
    }
    return true;
  };
  s.values = [shared](const C& c, std::size_t i) {
    std::vector<Value> out;
    for (const auto& r : shared->rows) out.push_back(r.get(shared->list(c).at(i)));
    return out;
  };
  s.count = [shared](const C& c) { return shared->list(c).size(); };
  return s;
}

// A whole table: its sections in the order they are read (a table array
// after the section it extends).
template <typename C>
struct Table {
  std::vector<Section<C>> sections;
  // Relations between settings that one row cannot express (may be empty).
  std::function<Expected<bool>(const C&, const toml::value& root)> check = {};

  std::vector<SectionInfo> infos() const {
    std::vector<SectionInfo> out;
    for (const auto& s : sections) {
      out.push_back(s.info);
      out.back().rows = &s.rows;
    }
    return out;
  }
  // The top-level keys of the file this table reads ("dns", "enum", ...).
  std::vector<std::string> top_level() const {
    std::vector<std::string> out;
    for (const auto& s : sections) {
      std::string top(s.info.name.substr(0, s.info.name.find('.')));
      if (out.empty() || out.back() != top) out.push_back(top);
    }
    return out;
  }
  Expected<C> parse(const toml::value& root, const Context& ctx) const {
    if (!root.is_table()) return fail(file_of(root) + "configuration: not a TOML table");
    C c{};
    for (const auto& s : sections) {
      if (auto r = s.parse(c, find_section(root, s.info.name), root, ctx); !r) {
        return fail(r.error());
      }
    }
    if (check) {
      if (auto r = check(c, root); !r) return fail(r.error());
    }
    return c;
  }
};

}  // namespace speerd::config
