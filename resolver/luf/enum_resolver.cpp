#include "resolver/luf/enum_resolver.hpp"

#include <algorithm>
#include <set>

#include "enum/limits.hpp"
#include "enum/select.hpp"

namespace speerd::luf {

const char* to_string(LufStatus s) {
  return enum_name(s).data();  // the table's literals end in '\0'
}

namespace {

std::string result_word(const dns::Answer& a) {
  if (!a.answered()) return "servfail";
  if (a.nxdomain()) return "nxdomain";
  if (a.nodata()) return "nodata";
  return "answer";
}

// One lookup in flight. Kept alive by the callbacks it hands to the client.
struct Lookup : std::enable_shared_from_this<Lookup> {
  dns::Client* client;  // the current tree's validator
  dns::Client& global;  // trees without their own anchors
  std::shared_ptr<const std::map<std::string, dns::Client*>> own;  // trees with own anchors
  std::shared_ptr<const config::ResolverConfig> cfg;
  E164Number number;
  std::string aus;
  EnumService service;    // what this tree accepts (requested, or the tree's own set)
  EnumService requested;  // what the request asked for (or [lookup] service)
  bool service_named = true;
  std::vector<const config::TreeConfig*> trees;
  std::function<void(LufResult)> done;
  std::shared_ptr<SubstitutionCache> regexps;  // kept alive by the lookup
  SelectOptions select;                        // carries regexps.get()

  std::size_t tree_index = 0;
  LufResult result;
  LufResult fallback;  // the most telling result of trees passed over
  bool stopped = false;
  bool any_records = false;
  std::uint32_t negative_ttl = 0;
  bool have_negative_ttl = false;

  Lookup(dns::Client& c, std::shared_ptr<const std::map<std::string, dns::Client*>> own_clients,
         std::shared_ptr<const config::ResolverConfig> conf)
      : client(&c), global(c), own(std::move(own_clients)), cfg(std::move(conf)) {}

  const config::TreeConfig& tree() const { return *trees[tree_index]; }

  void start() { next_tree(); }

  void next_tree() {
    if (tree_index >= trees.size()) return finish_exhausted();
    const auto& t = tree();
    const auto own_client = own->find(t.name);
    client = own_client != own->end() ? own_client->second : &global;
    service = requested;
    if (!service_named && !t.service.empty()) {
      if (auto own = parse_enumservice(t.service)) service = *own;  // checked at load
    }
    result.uris.clear();
    result.received_owner.clear();
    result.received.clear();
    result.tree = t.name;
    result.policy = t.policy;
    auto self = shared_from_this();
    client->resolve(enum_domain(number, t.suffix), dns::rrtype::NAPTR,
                    [self](dns::Answer a) { self->on_tree_answer(std::move(a)); });
  }

  // Records the step; returns false when the lookup must stop here.
  bool account(const dns::Answer& a) {
    model::Step s;
    s.name = a.qname;
    s.type = "NAPTR";
    s.result = result_word(a);
    s.ttl = a.ttl;
    s.outcome = a.outcome;
    s.detail = "tree " + tree().name;
    if (a.havedata) s.detail += ", " + std::to_string(a.rdata.size()) + " record(s)";
    result.steps.push_back(s);
    result.outcome = dns::weakest(result.outcome, a.outcome);
    const auto st = a.outcome.state;
    if (st == dns::Security::bogus) {
      stop(LufStatus::bogus, "DNSSEC validation failed for " + a.qname + " NAPTR in tree " +
                                 tree().name + ": " + a.outcome.reason);
      return false;
    }
    if (!a.answered() || st == dns::Security::indeterminate) {
      stop(LufStatus::upstream_failure,
           "no answer for " + a.qname + " NAPTR in tree " + tree().name + ": " + a.outcome.reason);
      return false;
    }
    // In a require-secure tree an insecure answer of any kind ends the
    // lookup: an unproven NXDOMAIN/NODATA is not a "not found" to fall
    // through on (the next tree could then route what this one hides).
    if (st == dns::Security::insecure && tree().policy == config::TreePolicy::require_secure) {
      const std::string what = a.nxdomain() ? "the NXDOMAIN for " + a.qname + " is not proven"
                               : a.nodata() ? "the NODATA for " + a.qname + " is not proven"
                                            : "the answer for " + a.qname + " is not signed";
      stop(LufStatus::insecure_refused, what + " (" + a.outcome.reason + ") and tree " +
                                            tree().name + " requires secure answers");
      return false;
    }
    return true;
  }

  void on_tree_answer(dns::Answer a) {
    if (!account(a)) return;
    if (a.nxdomain() || a.nodata()) {
      result.notes.push_back(a.qname + ": " + result_word(a) + " in tree " + tree().name);
      const std::uint32_t t = a.ttl;
      negative_ttl = have_negative_ttl ? std::min(negative_ttl, t) : t;
      have_negative_ttl = true;
      ++tree_index;
      return next_tree();
    }
    any_records = true;
    result.received_owner = a.qname;
    result.received = a.rdata;
    result.ttl = result.ttl == 0 ? a.ttl : std::min(result.ttl, a.ttl);
    auto rules = select_rules_wire(a.rdata, aus, service, select);
    std::set<std::string> visited{a.qname};
    auto self = shared_from_this();
    expand(std::make_shared<std::vector<RuleResult>>(std::move(rules)), 0, 0,
           std::make_shared<std::set<std::string>>(std::move(visited)), a.qname,
           [self] { self->tree_done(); });
  }

  void note(const std::string& owner, const RuleResult& r, const std::string& what) {
    result.notes.push_back(owner + ": " + to_text(r.record) + " -> " + what);
  }

  // Walks rules[i..] in order; non-terminal rules are resolved and their
  // results take the rule's place. `then` runs when the list is done (unless
  // the lookup stopped).
  void expand(std::shared_ptr<std::vector<RuleResult>> rules, std::size_t i, unsigned depth,
              std::shared_ptr<std::set<std::string>> visited, std::string owner,
              std::function<void()> then) {
    for (; i < rules->size(); ++i) {
      const RuleResult& r = (*rules)[i];
      if (r.kind == RuleKind::skipped) {
        note(owner, r, "skipped: " + r.reason);
        continue;
      }
      if (r.kind == RuleKind::terminal_uri) {
        note(owner, r, r.uri_or_next);
        result.uris.push_back(
            {r.uri_or_next, r.record.order, r.record.preference, r.record.services, owner});
        continue;
      }
      // Non-terminal: follow the replacement.
      std::string next = r.uri_or_next;
      std::transform(next.begin(), next.end(), next.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!next.empty() && next.back() != '.') next.push_back('.');
      if (depth >= cfg->lookup.max_nonterminal_hops) {
        note(owner, r,
             "skipped: non-terminal hop limit (" +
                 std::to_string(cfg->lookup.max_nonterminal_hops) + ") reached");
        continue;
      }
      if (visited->contains(next)) {
        note(owner, r, "skipped: loop, " + next + " was already visited in this chain");
        continue;
      }
      note(owner, r, "non-terminal, next " + next);
      auto chain_visited = std::make_shared<std::set<std::string>>(*visited);
      chain_visited->insert(next);
      auto self = shared_from_this();
      client->resolve(
          next, dns::rrtype::NAPTR,
          [self, rules, i, depth, visited, owner, then, chain_visited, next](dns::Answer a) {
            if (!self->account(a)) return;
            auto resume = [self, rules, i, depth, visited, owner, then] {
              self->expand(rules, i + 1, depth, visited, owner, then);
            };
            if (a.nxdomain() || a.nodata()) {
              self->result.notes.push_back(next + ": " + result_word(a) + " (non-terminal target)");
              return resume();
            }
            self->result.ttl = std::min(self->result.ttl, a.ttl);
            auto sub = std::make_shared<std::vector<RuleResult>>(
                select_rules_wire(a.rdata, self->aus, self->service, self->select));
            self->expand(sub, 0, depth + 1, chain_visited, next, resume);
          });
      return;  // continues in the callback
    }
    then();
  }

  void tree_done() {
    if (stopped) return;
    if (!result.uris.empty()) {
      // As received only when the RRset itself holds every URI: a client
      // rewriting itself could not follow a non-terminal rule to a name
      // that is no number (the DNS front end answers those NODATA).
      const bool own =
          std::all_of(result.uris.begin(), result.uris.end(),
                      [&](const UriCandidate& u) { return u.owner == result.received_owner; });
      if (!own) {
        result.received_owner.clear();
        result.received.clear();
      }
      result.status = LufStatus::found;
      result.reason =
          "tree " + tree().name + " gave " + std::to_string(result.uris.size()) + " usable URI(s)";
      return finish();
    }
    // Records, but none usable for this service: try the next tree.
    result.notes.push_back("tree " + tree().name + ": no usable record for " + to_string(service));
    ++tree_index;
    next_tree();
  }

  void stop(LufStatus s, std::string why) {
    stopped = true;
    result.status = s;
    result.reason = std::move(why);
    result.uris.clear();
    result.received_owner.clear();
    result.received.clear();
    finish();
  }

  void finish_exhausted() {
    result.received_owner.clear();
    result.received.clear();
    if (any_records) {
      result.status = LufStatus::no_usable;
      result.reason = "no ENUM record usable for " + to_string(service) + " for " + aus;
    } else {
      result.status = LufStatus::not_found;
      result.reason = aus + " is not in any ENUM tree";
      result.negative = true;
      result.ttl = have_negative_ttl ? negative_ttl : 0;
      if (trees.empty()) result.reason = "no ENUM tree is available for this client";
    }
    result.tree.clear();
    finish();
  }

  void finish() {
    auto cb = std::move(done);
    if (cb) cb(std::move(result));
  }
};

}  // namespace

EnumResolver::EnumResolver(dns::Client& client, std::shared_ptr<const config::ResolverConfig> cfg,
                           std::map<std::string, dns::Client*> tree_clients)
    : client_(client),
      cfg_(std::move(cfg)),
      tree_clients_(
          std::make_shared<const std::map<std::string, dns::Client*>>(std::move(tree_clients))) {}

void EnumResolver::lookup(const E164Number& number, const EnumService& service,
                          const std::vector<std::string>& trees, bool service_named,
                          std::function<void(LufResult)> cb) {
  auto l = std::make_shared<Lookup>(client_, tree_clients_, cfg_);
  l->number = number;
  l->aus = number.aus();
  l->service = service;
  l->requested = service;
  l->service_named = service_named;
  l->done = std::move(cb);
  l->regexps = regexps_;
  l->select.cache = l->regexps.get();
  for (const auto& t : cfg_->trees) {
    // A scope names trees by name or by suffix (the store keeps suffixes).
    const bool allowed =
        trees.empty() || std::any_of(trees.begin(), trees.end(), [&](const std::string& s) {
          return s == t.name || s == t.suffix || (s + ".") == t.suffix;
        });
    if (allowed) {
      l->trees.push_back(&t);
    }
  }
  l->start();
}

}  // namespace speerd::luf
