#include "resolver/config/settings_table.hpp"

#include <algorithm>
#include <sstream>

namespace speerd::config {

std::string to_toml(const Value& v) {
  std::ostringstream out;
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out << *i;
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out << (*b ? "true" : "false");
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    out << '"' << *s << '"';
  } else {
    out << '[';
    bool first = true;
    for (const auto& e : std::get<std::vector<std::string>>(v)) {
      out << (first ? "" : ", ") << '"' << e << '"';
      first = false;
    }
    out << ']';
  }
  return out.str();
}

std::string header(const SectionInfo& s) {
  return s.array ? "[[" + std::string(s.name) + "]]" : "[" + std::string(s.name) + "]";
}

namespace {

std::string type_text(const RowInfo& r) {
  switch (r.kind) {
    case Kind::integer:
      return "integer " + std::to_string(r.min) + ".." + std::to_string(r.max);
    case Kind::boolean:
      return "boolean";
    case Kind::strings:
      return "array of strings";
    case Kind::string:
      break;
  }
  if (r.choices.empty()) return "string";
  std::string out = "one of";
  for (auto c : r.choices) out += " \"" + std::string(c) + "\"";
  return out;
}

}  // namespace

std::string describe(const std::vector<SectionInfo>& sections) {
  std::ostringstream out;
  for (const auto& s : sections) {
    if (s.rows == nullptr || s.rows->empty()) continue;
    out << "\n" << header(s);
    if (!s.help.empty()) out << "\n  # " << s.help;
    out << "\n";
    for (const auto& r : *s.rows) {
      out << "  " << r.key << " = ";
      if (r.flags.required) {
        out << "(required)";
      } else if (!r.flags.absent.empty()) {
        out << "(absent: " << r.flags.absent << ")";
      } else {
        out << to_toml(r.fallback);
      }
      out << "   (" << type_text(r) << "; "
          << (r.flags.reloadable ? "reload applies it" : "restart to change") << ")";
      out << "\n      " << r.help << "\n";
    }
  }
  return out.str();
}

std::string source_of(const toml::value& near) {
  const auto loc = near.location();
  if (loc.file_name() == "unknown file") return {};
  return loc.file_name() + ":" + std::to_string(loc.line()) + ": ";
}

std::string file_of(const toml::value& root) {
  const auto loc = root.location();
  if (loc.file_name() == "unknown file") return {};
  return loc.file_name() + ": ";
}

std::string source_at(const toml::value& root, std::string_view section, std::string_view key) {
  const toml::value* s = find_section(root, section);
  if (s == nullptr || !s->is_table()) return file_of(root);
  auto it = s->as_table().find(std::string(key));
  return it == s->as_table().end() ? source_of(*s) : source_of(it->second);
}

std::string in_file(const std::filesystem::path& file, std::string error) {
  if (error.rfind(file.string(), 0) == 0) return error;
  return file.string() + ": " + error;
}

Unexpected<std::string> setting_error(const std::string& source, std::string_view label,
                                      std::string_view key, std::string_view message) {
  return fail(source + std::string(label) + " " + std::string(key) + ": " + std::string(message));
}

const toml::value* find_section(const toml::value& root, std::string_view dotted) {
  const toml::value* v = &root;
  while (!dotted.empty()) {
    const auto dot = dotted.find('.');
    const std::string part(dotted.substr(0, dot));
    if (!v->is_table()) return nullptr;
    auto it = v->as_table().find(part);
    if (it == v->as_table().end()) return nullptr;
    v = &it->second;
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  return v;
}

std::string type_name(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    default:
      return "a date/time";
  }
}

Expected<Value> check_value(const RowInfo& row, const toml::value& v) {
  auto wrong = [&](const char* want) {
    return fail(std::string("expected ") + want + ", got " + type_name(v));
  };
  switch (row.kind) {
    case Kind::integer: {
      if (!v.is_integer()) return wrong("an integer");
      const std::int64_t x = v.as_integer();
      if (x < row.min || x > row.max) {
        return fail(std::to_string(x) + " is outside " + std::to_string(row.min) + ".." +
                    std::to_string(row.max));
      }
      return Value{x};
    }
    case Kind::boolean:
      if (!v.is_boolean()) return wrong("a boolean");
      return Value{static_cast<bool>(v.as_boolean())};
    case Kind::string: {
      if (!v.is_string()) return wrong("a string");
      std::string x = v.as_string().str;
      if (!row.choices.empty() && std::find(row.choices.begin(), row.choices.end(),
                                            std::string_view(x)) == row.choices.end()) {
        std::string allowed;
        for (auto c : row.choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
        return fail("\"" + x + "\" is not one of " + allowed);
      }
      return Value{std::move(x)};
    }
    case Kind::strings: {
      if (!v.is_array()) return wrong("an array of strings");
      std::vector<std::string> out;
      for (const auto& e : v.as_array()) {
        if (!e.is_string()) return wrong("an array of strings");
        out.push_back(e.as_string().str);
      }
      return Value{std::move(out)};
    }
  }
  return fail("unknown kind");
}

}  // namespace speerd::config
