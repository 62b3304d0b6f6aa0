#include "resolver/server/result_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace speerd::server {
namespace {

using pipeline::LookupResult;

// Bytes copied as they are: printable ASCII except '"' and '\\'.
constexpr auto kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// True when none of the 8 bytes at p needs escaping (SWAR: a byte below
// 0x20, equal to '"' or '\\', or with the high bit set).
inline bool plain8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  auto zero_byte = [&](std::uint64_t x) { return (x - ones) & ~x & high; };
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & high;
  return ((w & high) | below_space | zero_byte(w ^ (ones * '"')) | zero_byte(w ^ (ones * '\\'))) ==
         0;
}

// Writes through a raw cursor into `out`, growing it in steps: std::string's
// push_back and append are out-of-line calls, and this writes ~5 KB in small
// pieces per answer.
class Sink {
 public:
  explicit Sink(std::string& out) : out_(out), base_(out.size()) {
    out_.resize(base_ + 4096);
    p_ = out_.data() + base_;
    end_ = out_.data() + out_.size();
  }
  ~Sink() { out_.resize(static_cast<std::size_t>(p_ - out_.data())); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  void ensure(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) [[unlikely]]
      grow(n);
  }
  void ch(char c) {
    ensure(1);
    *p_++ = c;
  }
  void raw(std::string_view s) {
    ensure(s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void uint(std::uint64_t v) {
    ensure(24);
    p_ = std::to_chars(p_, end_, v).ptr;
  }
  void string(std::string_view s);

 private:
  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t used = static_cast<std::size_t>(p_ - out_.data());
    out_.resize(std::max(out_.size() * 2, used + n + 1024));
    p_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  std::size_t base_;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  std::uint32_t cp = c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// One object: {"key":value,...}.
struct Obj {
  Sink& out;
  bool first = true;
  explicit Obj(Sink& o) : out(o) { out.ch('{'); }
  void key(std::string_view k) {
    out.ensure(k.size() + 4);
    if (!first) out.ch(',');
    first = false;
    out.ch('"');
    out.raw(k);
    out.raw("\":");
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    out.string(v);
  }
  void num(std::string_view k, std::uint64_t v) {
    key(k);
    out.uint(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out.raw(v ? "true" : "false");
  }
  void close() { out.ch('}'); }
};

// The outcome's members, sorted: ede, reason, state (no braces).
void outcome_members(Obj& o, const dns::Outcome& x) {
  if (x.ede) o.num("ede", *x.ede);
  if (!x.reason.empty()) o.str("reason", x.reason);
  o.str("state", dns::to_string(x.state));
}

void write_outcome(const dns::Outcome& x, Sink& out) {
  Obj o(out);
  outcome_members(o, x);
  o.close();
}

void write_target(const model::Target& t, Sink& out) {
  Obj o(out);
  o.str("address", t.address);
  o.key("dnssec");
  write_outcome(t.outcome, out);
  o.str("host", t.host);
  o.num("port", t.port);
  o.num("priority", t.priority);
  o.str("transport", t.transport);
  o.num("weight", t.weight);
  o.close();
}

void write_targets(const std::vector<model::Target>& ts, Sink& out) {
  out.ch('[');
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (i) out.ch(',');
    write_target(ts[i], out);
  }
  out.ch(']');
}

// The API form (pipeline::JsonForm::api): no step detail, no per-URI targets.
void write_step(const model::Step& s, Sink& out) {
  // Sorted: ede, name, reason, result, state, ttl, type.
  Obj o(out);
  if (s.outcome.ede) o.num("ede", *s.outcome.ede);
  o.str("name", s.name);
  if (!s.outcome.reason.empty()) o.str("reason", s.outcome.reason);
  o.str("result", s.result);
  o.str("state", dns::to_string(s.outcome.state));
  o.num("ttl", s.ttl);
  o.str("type", s.type);
  o.close();
}

void write_uri(const pipeline::UriResult& u, Sink& out) {
  Obj o(out);
  o.num("order", u.order);
  o.num("preference", u.preference);
  o.str("service", u.service);
  o.str("status", u.status);
  o.str("uri", u.uri);
  o.close();
}

void Sink::string(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  // Worst case: every byte becomes \u00XX (or U+FFFD, 3 bytes).
  ensure(s.size() * 6 + 2);
  *p_++ = '"';
  for (std::size_t i = 0; i < s.size();) {
    // Copy the run of bytes that need nothing at once, 8 at a time while
    // none of them is a control character, '"', '\\' or non-ASCII.
    std::size_t j = i;
    while (j + 8 <= s.size() && plain8(s.data() + j)) j += 8;
    while (j < s.size() && kPlain[static_cast<unsigned char>(s[j])]) ++j;
    if (j > i) {
      std::memcpy(p_, s.data() + i, j - i);
      p_ += j - i;
      i = j;
      if (i == s.size()) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    switch (c) {
      case '"':
        esc = "\\\"";
        break;
      case '\\':
        esc = "\\\\";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      default:
        break;
    }
    if (esc) {
      *p_++ = esc[0];
      *p_++ = esc[1];
    } else if (c < 0x20) {
      std::memcpy(p_, "\\u00", 4);
      p_[4] = hex[c >> 4];
      p_[5] = hex[c & 0xf];
      p_ += 6;
    } else if (const std::size_t n = utf8_length(s, i)) {
      std::memcpy(p_, s.data() + i, n);
      p_ += n;
      i += n;
      continue;
    } else {
      std::memcpy(p_, "\xef\xbf\xbd", 3);  // U+FFFD for a byte that is not UTF-8
      p_ += 3;
    }
    ++i;
  }
  *p_++ = '"';
}

}  // namespace

void write_json_string(std::string_view s, std::string& out) {
  Sink sink(out);
  sink.string(s);
}

namespace {

// The targets a shape keeps, in order.
std::vector<const model::Target*> kept_targets(const LookupResult& r, const AnswerShape& s) {
  std::vector<const model::Target*> out;
  for (const auto& t : r.targets) {
    if (s.max_targets != 0 && out.size() >= s.max_targets) break;
    if (s.transports != 0 && (luf::transport_bit(t.transport) & s.transports) == 0) continue;
    out.push_back(&t);
  }
  return out;
}

std::string offered_transports(const LookupResult& r) {
  std::string out;
  for (const auto& t : r.targets) {
    if (out.find(t.transport) != std::string::npos) continue;
    out += (out.empty() ? "" : ",") + t.transport;
  }
  return out;
}

void write_result(const LookupResult& r, Sink& out,
                  const std::vector<const model::Target*>* kept = nullptr,
                  std::string_view dialed = {}) {
  // Sorted: age, cached, code, dialed, dnssec, failure_cache, number,
  // outcome, reason, stale, store, targets, tree, ttl, uri, uris, verdict.
  Obj o(out);
  o.num("age", r.age);
  o.boolean("cached", r.cached);
  o.str("code", model::to_string(r.code));
  if (!dialed.empty()) o.str("dialed", dialed);
  o.key("dnssec");
  out.ch('[');
  for (std::size_t i = 0; i < r.dnssec.size(); ++i) {
    if (i) out.ch(',');
    write_step(r.dnssec[i], out);
  }
  out.ch(']');
  o.boolean("failure_cache", r.failure_cached);
  if (!r.number.empty()) o.str("number", r.number);
  o.key("outcome");
  write_outcome(r.outcome, out);
  o.str("reason", r.reason);
  o.boolean("stale", r.stale);
  o.key("store");
  {
    Obj s(out);
    s.str("check", pipeline::to_string(r.store.check));
    if (!r.store.detail.empty()) s.str("detail", r.store.detail);
    if (!r.store.record_id.empty()) s.str("record", r.store.record_id);
    s.close();
  }
  o.key("targets");
  if (kept == nullptr) {
    write_targets(r.targets, out);
  } else {
    out.ch('[');
    for (std::size_t i = 0; i < kept->size(); ++i) {
      if (i) out.ch(',');
      write_target(*(*kept)[i], out);
    }
    out.ch(']');
  }
  if (!r.tree.empty()) o.str("tree", r.tree);
  o.num("ttl", r.ttl);
  o.str("uri", r.uri);
  o.key("uris");
  out.ch('[');
  for (std::size_t i = 0; i < r.uris.size(); ++i) {
    if (i) out.ch(',');
    write_uri(r.uris[i], out);
  }
  out.ch(']');
  o.str("verdict", model::to_string(r.verdict));
  o.close();
}

}  // namespace

void write_json(const LookupResult& r, std::string& out) {
  Sink sink(out);
  write_result(r, sink);
}

namespace {

// An address as a URI or a SIP Via/Route header takes it: IPv6 in brackets.
void write_address(const model::Target& t, Sink& out) {
  const std::string_view a = t.address.empty() ? std::string_view(t.host) : t.address;
  if (a.find(':') != std::string_view::npos && !a.starts_with('[')) {
    return out.string("[" + std::string(a) + "]");
  }
  out.string(a);
}

void write_compact(const LookupResult& r, const std::vector<const model::Target*>& kept,
                   model::Reason code, std::string_view reason, bool route, std::string_view dialed,
                   Sink& out) {
  Obj o(out);
  o.num("age", r.age);
  o.boolean("cached", r.cached);
  o.str("code", model::to_string(code));
  if (!dialed.empty()) o.str("dialed", dialed);
  o.boolean("failure_cache", r.failure_cached);
  if (!r.number.empty()) o.str("number", r.number);
  o.key("outcome");
  write_outcome(r.outcome, out);
  if (!route) o.str("reason", reason);
  o.key("targets");
  out.ch('[');
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i) out.ch(',');
    const auto& t = *kept[i];
    Obj to(out);
    to.key("address");
    write_address(t, out);
    to.str("host", t.host);
    to.num("port", t.port);
    to.str("transport", t.transport);
    to.close();
  }
  out.ch(']');
  o.num("ttl", r.ttl);
  o.str("uri", route ? std::string_view(r.uri) : std::string_view());
  o.str("verdict", route ? "route" : "reject");
  o.close();
}

}  // namespace

void write_answer(const LookupResult& r, const AnswerShape& shape, std::string& out) {
  if (shape.plain() && shape.dialed.empty()) return write_json(r, out);
  const auto kept = kept_targets(r, shape);
  // A route whose every target the filter removed is no route for this
  // client (a result without targets, e.g. a store-provided URI, stays one).
  const bool emptied = r.verdict == model::Verdict::route && !r.targets.empty() && kept.empty();
  if (!emptied) {
    Sink sink(out);
    if (shape.view == luf::View::compact) {
      return write_compact(r, kept, r.code, r.reason, r.verdict == model::Verdict::route,
                           shape.dialed, sink);
    }
    return write_result(r, sink, &kept, shape.dialed);
  }
  const std::string why = "no target of " + r.uri + " uses transport " +
                          luf::transports_text(shape.transports) + " (it offers " +
                          offered_transports(r) + ")";
  if (shape.view == luf::View::compact) {
    Sink sink(out);
    return write_compact(r, kept, model::reason::kNoTargets, why, false, shape.dialed, sink);
  }
  pipeline::LookupResult rejected = r;
  rejected.verdict = model::Verdict::reject;
  rejected.code = model::reason::kNoTargets;
  rejected.reason = why;
  rejected.uri.clear();
  rejected.targets.clear();
  Sink sink(out);
  write_result(rejected, sink, nullptr, shape.dialed);
}

}  // namespace speerd::server
