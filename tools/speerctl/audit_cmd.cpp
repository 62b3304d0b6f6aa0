// speerctl audit: the audit trail (every change: who, when, what, before/after).
#include <algorithm>
#include <cstdio>

#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

const std::vector<std::string> kObjectTypes{"client",
                                            "destination_group",
                                            "public_identifier",
                                            "route_group",
                                            "route_group_destination",
                                            "sed_record",
                                            "peering_offer",
                                            "trust_anchor",
                                            "cache"};

int digits(const std::string& s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// --since: an ISO 8601 UTC time, YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z], as the
// store's own text form (YYYY-MM-DDTHH:MM:SS.ffffffZ) so that the store's
// text comparison is a time comparison. Anything else is a usage error
// naming the option and the accepted form (not the value).
std::string normalized_since(const std::string& in) {
  const auto bad = [](const std::string& why) {
    return Exit(exit_code::kUsage, "--since: " + why +
                                       " (expected an ISO 8601 UTC time: YYYY-MM-DD, "
                                       "YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS[.ffffff][Z])");
  };
  std::string s = in;
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.pop_back();
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  if (s.size() < 10 || year < 0 || s[4] != '-' || month < 0 || s[7] != '-' || day < 0) {
    throw bad("not a date");
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12) throw bad("month out of range");
  if (day < 1 || day > kDays[month - 1] || (month == 2 && day == 29 && !leap)) {
    throw bad("day out of range");
  }
  int hour = 0, minute = 0, second = 0;
  std::string fraction = "000000";
  if (s.size() > 10) {
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') throw bad("a time must follow 'T'");
    hour = digits(s, 11, 2);
    minute = digits(s, 14, 2);
    if (s.size() < 16 || hour < 0 || s[13] != ':' || minute < 0) throw bad("not a time");
    if (s.size() > 16) {
      second = digits(s, 17, 2);
      if (s.size() < 19 || s[16] != ':' || second < 0) throw bad("bad seconds");
      if (s.size() > 19) {
        if (s[19] != '.' || s.size() == 20 || s.size() > 26) throw bad("bad fraction of a second");
        const std::string f = s.substr(20);
        if (digits(f, 0, f.size()) < 0) throw bad("bad fraction of a second");
        fraction = f + std::string(6 - f.size(), '0');
      }
    }
    if (hour > 23 || minute > 59 || second > 59) throw bad("time out of range");
  }
  char buf[72];  // room for any int in each field, so the compiler can prove no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.", year, month, day, hour, minute,
                second);
  return std::string(buf) + fraction + "Z";
}

}  // namespace

void register_audit(CLI::App& app) {
  auto* group = app.add_subcommand("audit", "The audit trail of the store");
  group->require_subcommand(1);
  struct Opts : StoreOptions {
    std::string actor_filter, type, since;
    std::size_t limit = 100;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group->add_subcommand("list", "Changes, newest first");
  cmd->add_option("--by", o->actor_filter, "only changes by this actor");
  cmd->add_option("--type", o->type,
                  "only this object type (client, destination_group, public_identifier, cache, "
                  "route_group, route_group_destination, sed_record, peering_offer, trust_anchor)");
  cmd->add_option("--since", o->since, "only changes at or after this UTC time (ISO 8601)");
  cmd->add_option("--limit", o->limit, "at most this many")->capture_default_str();
  add_store_option(cmd, *o);
  add_json_option(cmd, *o);
  cmd->callback([o] {
    st::AuditQuery q;
    if (!o->actor_filter.empty()) q.actor = o->actor_filter;
    if (!o->type.empty()) {
      if (std::find(kObjectTypes.begin(), kObjectTypes.end(), o->type) == kObjectTypes.end()) {
        throw Exit(exit_code::kUsage,
                   "--type: not an object type (see speerctl audit list --help)");
      }
      q.object_type = o->type;
    }
    if (!o->since.empty()) q.since = normalized_since(o->since);
    if (o->limit == 0) throw Exit(exit_code::kUsage, "--limit: must be at least 1");
    q.limit = o->limit;
    auto s = open_or_exit(*o);
    st::Json items = st::Json::array();
    for (const auto& a : value_or_exit(s->list_audit(q))) items.push_back(st::to_json(a));
    print_listing(*o, items,
                  {"id", "at", "actor", "action", "object_type", "object_key", "change_counter"});
  });
}

}  // namespace speerctl
