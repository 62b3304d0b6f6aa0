#include "enum/naptr.hpp"

#include <ldns/ldns.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "enum/limits.hpp"
#include "enum/printable.hpp"

namespace speerd::luf {

namespace {

struct RrDeleter {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct RdfDeleter {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
struct BufferDeleter {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
struct FreeDeleter {
  void operator()(char* p) const { free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferDeleter>;
using CStrPtr = std::unique_ptr<char, FreeDeleter>;

std::string offset(std::size_t pos) {
  return " at offset " + std::to_string(pos);
}

// Walks the RDATA and checks every length before ldns sees it.
Expected<bool> check_layout(std::string_view rdata) {
  const auto* p = reinterpret_cast<const unsigned char*>(rdata.data());
  const std::size_t size = rdata.size();
  if (size > kMaxRdataLength) {
    return fail("rdata too long (" + std::to_string(size) + " > 65535 bytes)");
  }
  if (size < 4) {
    return fail("rdata truncated: " + std::to_string(size) + " bytes, order and preference need 4");
  }
  std::size_t pos = 4;
  for (const char* field : {"flags", "services", "regexp"}) {
    if (pos >= size) {
      return fail("rdata truncated: no length byte for " + std::string(field) + offset(pos));
    }
    const std::size_t len = p[pos];
    if (len > size - pos - 1) {
      return fail(std::string(field) + " length " + std::to_string(len) + offset(pos) +
                  " runs past the end of the rdata (" + std::to_string(size) + " bytes)");
    }
    pos += 1 + len;
  }
  const std::size_t name_start = pos;
  while (true) {
    if (pos >= size) return fail("replacement name truncated" + offset(pos));
    const std::size_t len = p[pos];
    if ((len & 0xc0U) == 0xc0U) {
      return fail("compression pointer in replacement" + offset(pos) +
                  " (not allowed in NAPTR rdata)");
    }
    if ((len & 0xc0U) != 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(len));
      return fail("reserved label type " + std::string(hex) + " in replacement" + offset(pos));
    }
    if (len > size - pos - 1) {
      return fail("replacement label length " + std::to_string(len) + offset(pos) +
                  " runs past the end of the rdata");
    }
    pos += 1 + len;
    if (pos - name_start > kMaxDomainWireLength) {
      return fail("replacement name longer than 255 bytes");
    }
    if (len == 0) break;
  }
  if (pos != size) {
    return fail(std::to_string(size - pos) + " trailing bytes after the replacement" + offset(pos));
  }
  // A first label of just '@' has no presentation form that reads back as
  // itself (ldns reads it as the origin, however it is escaped), so the
  // record could not be shown or provisioned as it is: refuse it. No host
  // name has such a label.
  if (size - name_start >= 2 && p[name_start] == 1 && p[name_start + 1] == '@') {
    return fail("replacement starts with the label '@'" + offset(name_start) +
                ", which zone files read as the origin");
  }
  return true;
}

std::string rdf_string(const ldns_rdf* rdf) {
  // LDNS_RDF_TYPE_STR: one length byte, then the bytes.
  const std::uint8_t* data = ldns_rdf_data(rdf);
  const std::size_t size = ldns_rdf_size(rdf);
  if (size == 0) return {};
  std::size_t len = data[0];
  if (len > size - 1) len = size - 1;
  return {reinterpret_cast<const char*>(data + 1), len};
}

// The presentation form of a wire-format name (LDNS_RDF_TYPE_DNAME), escaped
// so that it reads back as the same name. ldns_rdf2str leaves '"', '@' and
// '$' bare, and a label "@" then reads back as the origin, a '"' as a quote:
// those are written as \DDD, as is every byte that is not graphic ASCII.
std::string dname_text(const ldns_rdf* rdf) {
  const std::uint8_t* data = ldns_rdf_data(rdf);
  const std::size_t size = ldns_rdf_size(rdf);
  std::string out;
  std::size_t pos = 0;
  while (pos < size && data[pos] != 0) {
    const std::size_t len = data[pos++];
    for (std::size_t i = 0; i < len && pos < size; ++i, ++pos) {
      const auto c = static_cast<unsigned char>(data[pos]);
      if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f || c == '"' || c == '@' || c == '$') {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '.';
  }
  return out.empty() ? "." : out;
}

void append_text_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

Expected<RrPtr> rr_from_text(std::string_view text) {
  if (text.size() > 4 * kMaxRdataLength) return fail("NAPTR text too long");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7f) {
      std::size_t len = 0;
      return fail("control character " + describe_char(text, i, &len) + " at position " +
                  std::to_string(i + 1) + " in NAPTR text");
    }
  }
  // ldns wraps out-of-range integers (70000 becomes 4464): check order and preference.
  std::size_t pos = 0;
  for (const char* field : {"order", "preference"}) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    const std::size_t start = pos;
    std::uint32_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && value <= 65535) {
      value = value * 10 + static_cast<std::uint32_t>(text[pos] - '0');
      ++pos;
    }
    const bool ends = pos == text.size() || text[pos] == ' ' || text[pos] == '\t';
    if (pos == start || value > 65535 || !ends) {
      return fail("invalid NAPTR text: " + std::string(field) + " must be a number 0-65535");
    }
  }
  const std::string line = "speerd.invalid. 0 IN NAPTR " + std::string(text);
  RdfPtr origin(ldns_dname_new_frm_str("."));
  ldns_rr* raw = nullptr;
  const ldns_status st = ldns_rr_new_frm_str(&raw, line.c_str(), 0, origin.get(), nullptr);
  RrPtr rr(raw);
  if (st != LDNS_STATUS_OK || !rr) {
    return fail("invalid NAPTR text: " + std::string(ldns_get_errorstr_by_id(st)));
  }
  if (ldns_rr_get_type(rr.get()) != LDNS_RR_TYPE_NAPTR || ldns_rr_rd_count(rr.get()) != 6) {
    return fail("invalid NAPTR text: expected 6 fields");
  }
  return rr;
}

}  // namespace

Expected<Naptr> parse_naptr_rdata(std::string_view wire_rdata) {
  if (auto ok = check_layout(wire_rdata); !ok) return fail(ok.error());

  // ldns_wire2rdf reads RDLENGTH first: hand it RDLENGTH + RDATA.
  std::vector<std::uint8_t> wire(2 + wire_rdata.size());
  wire[0] = static_cast<std::uint8_t>(wire_rdata.size() >> 8U);
  wire[1] = static_cast<std::uint8_t>(wire_rdata.size() & 0xffU);
  std::copy(wire_rdata.begin(), wire_rdata.end(), wire.begin() + 2);

  // ldns_rr_new_frm_type would pre-fill empty fields; wire2rdf appends to a blank RR.
  RrPtr rr(ldns_rr_new());
  if (!rr) return fail("out of memory");
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_NAPTR);
  std::size_t pos = 0;
  const ldns_status st = ldns_wire2rdf(rr.get(), wire.data(), wire.size(), &pos);
  if (st != LDNS_STATUS_OK) {
    return fail("malformed NAPTR rdata: " + std::string(ldns_get_errorstr_by_id(st)));
  }
  if (pos != wire.size() || ldns_rr_rd_count(rr.get()) != 6) {
    return fail("malformed NAPTR rdata: expected 6 fields");
  }
  const ldns_rdf* f[6];
  for (std::size_t i = 0; i < 6; ++i) f[i] = ldns_rr_rdf(rr.get(), i);
  if (ldns_rdf_get_type(f[0]) != LDNS_RDF_TYPE_INT16 ||
      ldns_rdf_get_type(f[1]) != LDNS_RDF_TYPE_INT16 ||
      ldns_rdf_get_type(f[5]) != LDNS_RDF_TYPE_DNAME) {
    return fail("malformed NAPTR rdata: unexpected field types");
  }
  Naptr n;
  n.order = ldns_rdf2native_int16(f[0]);
  n.preference = ldns_rdf2native_int16(f[1]);
  n.flags = rdf_string(f[2]);
  n.services = rdf_string(f[3]);
  n.regexp = rdf_string(f[4]);
  n.replacement = dname_text(f[5]);
  return n;
}

Expected<std::string> naptr_text_to_wire(std::string_view text) {
  auto rr = rr_from_text(text);
  if (!rr) return fail(rr.error());
  BufferPtr buf(ldns_buffer_new(512));
  if (!buf) return fail("out of memory");
  if (ldns_rr_rdata2buffer_wire(buf.get(), rr->get()) != LDNS_STATUS_OK) {
    return fail("NAPTR text cannot be converted to wire form");
  }
  return std::string(reinterpret_cast<const char*>(ldns_buffer_begin(buf.get())),
                     ldns_buffer_position(buf.get()));
}

Expected<Naptr> parse_naptr_text(std::string_view text) {
  auto wire = naptr_text_to_wire(text);
  if (!wire) return fail(wire.error());
  return parse_naptr_rdata(*wire);
}

std::string to_text(const Naptr& naptr) {
  std::string out = std::to_string(naptr.order) + " " + std::to_string(naptr.preference) + " ";
  append_text_string(out, naptr.flags);
  out += ' ';
  append_text_string(out, naptr.services);
  out += ' ';
  append_text_string(out, naptr.regexp);
  out += ' ';
  out += naptr.replacement;
  return out;
}

}  // namespace speerd::luf
