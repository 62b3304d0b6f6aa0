// Export (transfer.hpp): every row of a store, in import order, CSV or JSON
// Lines, from one read snapshot.
#include <nlohmann/json.hpp>
#include <string>

#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/transfer.hpp"
#include "sed-store/transfer_rows.hpp"

namespace speerd::store::transfer {
namespace {

std::string csv_field(std::string_view s) {
  const bool quote = s.find_first_of(",\"") != std::string_view::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' ' || s.front() == '#'));
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string join_spaces(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

class RowWriter {
 public:
  RowWriter(std::ostream& out, Format format) : out_(out), format_(format) {}

  // fields: values in the type's field order; JSON gets typed values.
  void write(std::string_view type, const Json& fields) {
    ++rows_;
    if (format_ == Format::json) {
      Json j;
      j["type"] = type;
      for (const auto& [k, v] : fields.items()) j[k] = v;
      out_ << j.dump() << '\n';
      return;
    }
    out_ << type;
    for (const auto& [k, v] : fields.items()) {
      out_ << ',';
      if (v.is_string()) {
        out_ << csv_field(v.get<std::string>());
      } else if (v.is_array()) {
        out_ << csv_field(join_spaces(v.get<std::vector<std::string>>()));
      } else if (v.is_boolean()) {
        out_ << (v.get<bool>() ? "true" : "false");
      } else {
        out_ << v.dump();
      }
    }
    out_ << '\n';
  }

  void header() {
    if (format_ != Format::csv) return;
    out_ << "# speerd SED store export (csv, format 1): type,fields...\n";
    for (const auto& t : detail::row_types()) {
      out_ << "# " << t.name;
      for (auto f : t.fields) out_ << ',' << f;
      out_ << '\n';
    }
  }

  std::size_t rows() const { return rows_; }

 private:
  std::ostream& out_;
  Format format_;
  std::size_t rows_ = 0;
};

}  // namespace

Result<ExportReport> export_all(Store& store, std::ostream& out, Format format,
                                const ExportOptions& options) {
  RowWriter w(out, format);
  auto body = [&]() -> Result<Done> {
    w.header();
    auto clients = store.list_clients();
    if (!clients) return clients.error();
    for (const auto& c : *clients) {
      Json f;
      f["name"] = c.name;
      f["cert_name"] = c.cert_name;
      f["spki_pin"] = c.spki_pin;
      f["rate"] = c.rate.from_config() ? Json("") : Json(c.rate.per_second);
      f["burst"] = c.rate.from_config() ? Json("") : Json(c.rate.burst);
      f["enabled"] = c.enabled;
      f["trees"] = c.trees;
      f["description"] = c.description;
      f["options"] = c.options;  // rows of schema 1 end before it
      f["sources"] = c.sources;  // rows before migration 0006 end before these two
      f["tsig_required"] = c.tsig_required;
      w.write("client", f);
      // Its TSIG keys; the secrets only when asked for (they are the keys).
      for (const auto& k : c.tsig_keys) {
        Json t;
        t["client"] = c.name;
        t["name"] = k.name;
        t["algorithm"] = k.algorithm;
        t["secret"] = options.with_secrets ? k.secret : std::string();
        w.write("tsig-key", t);
      }
    }
    auto groups = store.list_destination_groups();
    if (!groups) return groups.error();
    for (const auto& g : *groups) {
      Json f;
      f["name"] = g.name;
      f["description"] = g.description;
      w.write("dest-group", f);
    }
    auto rgs = store.list_route_groups();
    if (!rgs) return rgs.error();
    for (const auto& g : *rgs) {
      Json f;
      f["name"] = g.name;
      f["priority"] = g.priority;
      f["enabled"] = g.enabled;
      f["dest_groups"] = g.destination_groups;
      f["description"] = g.description;
      w.write("route-group", f);
    }
    IdentifierPage page;
    page.limit = kPageSize;
    for (;;) {
      auto ids = store.list_identifiers(page);
      if (!ids) return ids.error();
      for (const auto& p : *ids) {
        Json f;
        f["dest_group"] = p.destination_group;
        f["value"] = p.value;
        if (p.kind == IdentifierKind::range) f["end"] = p.end;
        w.write(to_string(p.kind), f);
      }
      if (ids->size() < page.limit) break;
      page.after = ids->back();
      if (!out) break;
    }
    auto sed = store.list_sed(std::nullopt);
    if (!sed) return sed.error();
    for (const auto& s : *sed) {
      Json f;
      f["route_group"] = s.route_group;
      f["priority"] = s.priority;
      // A URI record's host, port and transport come from the URI.
      const bool uri = s.kind == SedKind::uri;
      f["uri"] = s.uri;
      f["host"] = uri ? std::string() : s.host;
      if (format == Format::json) {
        f["port"] = uri || s.port == 0 ? Json(nullptr) : Json(s.port);
      } else {
        f["port"] = uri || s.port == 0 ? std::string() : std::to_string(s.port);
      }
      f["transport"] = uri ? std::string() : s.transport;
      w.write("sed", f);
    }
    auto offers = store.list_offers();
    if (!offers) return offers.error();
    for (const auto& o : *offers) {
      Json f;
      f["route_group"] = o.route_group;
      f["client"] = o.client;
      w.write("offer", f);
    }
    auto anchors = store.list_trust_anchors();
    if (!anchors) return anchors.error();
    for (const auto& t : *anchors) {
      Json f;
      f["zone"] = t.zone;
      f["state"] = std::string(to_string(t.state));
      f["rr"] = t.rr;
      w.write("trust-anchor", f);
    }
    return Done{};
  };
  auto done = store.read_snapshot(body);
  if (!done) return done.error();
  out.flush();
  if (!out) return Error{ErrorCode::unavailable, "writing the export failed", std::nullopt, {}, {}};
  return ExportReport{w.rows()};
}

}  // namespace speerd::store::transfer
