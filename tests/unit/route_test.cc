// Tests for route/lookup (the MTAs' table readers and search orders, on hand-written tables)
// and route/route (the answers for a policy, from its generated tables, with the policy line
// behind each). Table driven; each row shows the recipient.
#include "route/lookup.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli/templates.h"
#include "policy/analyze.h"
#include "route/route.h"

namespace mtaroute {
namespace {

struct LookupCase {
  std::string recipient;
  std::string nexthop;  // "" = direct
  std::string key;      // the deciding entry's key; "-" = no entry
  int line = 0;
  bool by_default = false;
};

void CheckLookups(const std::vector<LookupCase>& cases, auto lookup) {
  for (const LookupCase& c : cases) {
    INFO("recipient: " << c.recipient);
    Decision d = lookup(c.recipient);
    CHECK(d.direct == c.nexthop.empty());
    CHECK(d.nexthop == c.nexthop);
    CHECK(d.by_default == c.by_default);
    if (c.key == "-") {
      CHECK_FALSE(d.entry);
    } else {
      REQUIRE(d.entry);
      CHECK(d.entry->key == c.key);
      CHECK(d.entry->line == c.line);
    }
  }
}

const char* const kTransport =
    "# header\n"
    "\n"
    "gmail.com smtp:[relay.example.net]:587\n"  // 3
    ".gmail.com smtp:[relay.example.net]:587\n"  // 4
    "GoogleMail.COM\tsmtp:[ipv6:2001:db8::1]:25\n"  // 5
    "partner.example smtp:\n"  // 6
    "keep.example :\n"  // 7
    "gmail.com smtp:[second]:1\n"  // 8: duplicate, postmap keeps the first
    "joe@me.com smtp:[personal]:25\n"  // 9: a full address (mtaroute never writes one)
    "cont.example smtp:\n"  // 10
    "  [continued]:2525\n"  // 11: continues line 10
    "  # indented comment\n"  // 12
    "mx.example smtp:relays.example.org:25\n";  // 13

TEST_CASE("Postfix transport lookups follow transport(5)", "[route]") {
  PostfixTables tables(kTransport, "# main.cf\nrelayhost =\n");
  CheckLookups(
      {
          {"gmail.com", "[relay.example.net]:587", "gmail.com", 3},
          {"user@gmail.com", "[relay.example.net]:587", "gmail.com", 3},
          {"User@Mail.GMAIL.com", "[relay.example.net]:587", ".gmail.com", 4},
          {"a.b.c.gmail.com", "[relay.example.net]:587", ".gmail.com", 4},
          {"gmail.com.", "[relay.example.net]:587", "gmail.com", 3},  // one dot stripped
          {"googlemail.com", "[ipv6:2001:db8::1]:25", "googlemail.com", 5},
          {"x.googlemail.com", "", "-", 0, true},  // no ".googlemail.com" key
          {"partner.example", "", "partner.example", 6},
          {"keep.example", "", "keep.example", 7, true},  // ":" and no relayhost
          {"joe@me.com", "[personal]:25", "joe@me.com", 9},
          {"JOE@me.com", "[personal]:25", "joe@me.com", 9},
          {"jane@me.com", "", "-", 0, true},
          {"cont.example", "  [continued]:2525", "cont.example", 10},
          {"mx.example", "relays.example.org:25", "mx.example", 13},
          {"example.org", "", "-", 0, true},
      },
      [&](const std::string& r) { return tables.Lookup(r); });
  Decision d = tables.Lookup("user@a.b.example.org");
  CHECK(d.tried == std::vector<std::string>{"user@a.b.example.org", "a.b.example.org",
                                            ".b.example.org", ".example.org", ".org", "*"});
}

TEST_CASE("Postfix relayhost applies without an entry and behind ':'", "[route]") {
  PostfixTables tables(kTransport + std::string("* smtp:[star]:25\n"),
                       "relayhost = [old]:25\n# c\nrelayhost = [smart.example]:587\n");
  CheckLookups(
      {
          {"partner.example", "", "partner.example", 6},  // "smtp:" escapes the relayhost
          {"keep.example", "[smart.example]:587", "keep.example", 7, true},
          {"example.org", "[star]:25", "*", 14},
      },
      [&](const std::string& r) { return tables.Lookup(r); });
  Decision keep = tables.Lookup("keep.example");
  REQUIRE(keep.fallback);
  CHECK(keep.fallback->line == 3);
  PostfixTables plain("gmail.com smtp:[r]:25\n", "relayhost = [smart.example]:587\n");
  Decision other = plain.Lookup("example.org");
  CHECK(other.nexthop == "[smart.example]:587");
  CHECK(other.by_default);
  REQUIRE(other.entry);
  CHECK(other.entry->file == "main.cf");
  CHECK(other.entry->line == 1);
}

TEST_CASE("qmail smtproutes lookups follow qmail-remote", "[route]") {
  QmailRoutes routes(
      "# header\n"
      "gmail.com:relay.example.net:587\n"  // 2
      ".gmail.com:relay.example.net:587   \t\n"  // 3: trailing blanks stripped
      "Partner.Example:\n"  // 4
      "noport.example:192.0.2.1\n"  // 5
      "emptyport.example:192.0.2.1:\n"  // 6
      "bracket.example:[192.0.2.2]:26\n"  // 7
      " lead.example:x:1\n"  // 8: the key is " lead.example"
      "no colon line\n"  // 9: ignored
      "dup.example:first:1\n"  // 10
      "dup.example:second:2\n"  // 11: the last wins
      ":smart.example:2525\n");  // 12
  CheckLookups(
      {
          {"gmail.com", "relay.example.net:587", "gmail.com", 2},
          {"user@MAIL.Gmail.com", "relay.example.net:587", ".gmail.com", 3},
          {"gmail.com.", "smart.example:2525", "", 12, true},  // a trailing dot: the default
          {"partner.example", "", "partner.example", 4},
          {"sub.partner.example", "smart.example:2525", "", 12, true},
          {"noport.example", "192.0.2.1:25", "noport.example", 5},
          {"emptyport.example", "192.0.2.1:0", "emptyport.example", 6},
          {"bracket.example", "[192.0.2.2]:26", "bracket.example", 7},
          {"lead.example", "smart.example:2525", "", 12, true},
          {"dup.example", "second:2", "dup.example", 11},
          {"example.org", "smart.example:2525", "", 12, true},
      },
      [&](const std::string& r) { return routes.Lookup(r); });
  CHECK(routes.Lookup("a.b.example.org").tried ==
        std::vector<std::string>{"a.b.example.org", ".b.example.org", ".example.org", ".org",
                                 ""});
  QmailRoutes no_default("gmail.com:r:25\n");
  CheckLookups({{"example.org", "", "-", 0, true}},
               [&](const std::string& r) { return no_default.Lookup(r); });
}

const char* const kPolicy = R"({
  "version": 1,
  "relays": {
    "clean": { "host": "relay.example.net", "port": 587 },
    "smart": { "host": "192.0.2.25" }
  },
  "routes": [
    { "domains": ["gmail.com", "bücher.example"], "subdomains": true, "relay": "clean" },
    { "domains": ["partner.example"], "relay": "direct" },
    { "domains": ["me.com"], "relay": "clean" }
  ],
  "default": "smart"
})";

struct RouterCase {
  std::string input;
  std::string postfix;  // nexthop, "" = direct
  std::string qmail;
  std::string pointer;  // of the policy source of the Postfix answer
};

TEST_CASE("Router answers from the generated tables and names the policy line", "[route]") {
  Analysis analysis = AnalyzePolicy("p.json", kPolicy, ParseLimits{});
  REQUIRE_FALSE(analysis.diags.HasErrors());
  EmitContext context;
  context.policy_file = "p.json";
  REQUIRE(LoadTemplates("", context).empty());
  Router router(*analysis.policy, context);
  const std::vector<RouterCase> cases = {
      {"gmail.com", "[relay.example.net]:587", "relay.example.net:587", "/routes/0/domains/0"},
      {"x@a.gmail.com", "[relay.example.net]:587", "relay.example.net:587", "/routes/0/domains/0"},
      {"bücher.example", "[relay.example.net]:587", "relay.example.net:587",
       "/routes/0/domains/1"},
      {"BÜCHER.example", "[relay.example.net]:587", "relay.example.net:587",
       "/routes/0/domains/1"},
      {"x.xn--bcher-kva.example", "[relay.example.net]:587", "relay.example.net:587",
       "/routes/0/domains/1"},
      {"me.com", "[relay.example.net]:587", "relay.example.net:587", "/routes/2/domains/0"},
      {"sub.me.com", "[192.0.2.25]:25", "192.0.2.25:25", "/default"},
      {"example.org", "[192.0.2.25]:25", "192.0.2.25:25", "/default"},
      {"gmail.com.", "[relay.example.net]:587", "192.0.2.25:25", "/routes/0/domains/0"},
  };
  for (const RouterCase& c : cases) {
    INFO("input: " << c.input);
    RouteAnswer answer = router.Lookup(c.input);
    REQUIRE(answer.error.empty());
    REQUIRE(answer.answers.size() == 2);
    const MtaAnswer& postfix = answer.answers[0];
    const MtaAnswer& qmail = answer.answers[1];
    CHECK(postfix.mta == "postfix");
    CHECK(postfix.decision.nexthop == c.postfix);
    CHECK(qmail.decision.nexthop == c.qmail);
    REQUIRE(postfix.source);
    CHECK(postfix.source->pointer == c.pointer);
    CHECK(postfix.disagreement.empty());
    CHECK(qmail.disagreement.empty());
  }
  RouteAnswer partner = router.Lookup("partner.example");
  REQUIRE(partner.answers.size() == 2);
  CHECK(partner.answers[1].decision.direct);  // qmail "partner.example:"
  CHECK(partner.answers[1].source->relay == "direct");
}

TEST_CASE("Router refuses what is not an address or domain", "[route]") {
  Analysis analysis = AnalyzePolicy("p.json", kPolicy, ParseLimits{});
  EmitContext context;
  REQUIRE(LoadTemplates("", context).empty());
  Router router(*analysis.policy, context);
  for (const char* bad : {"", "@gmail.com", "a b@gmail.com", "gmail..com", "gmail.com..",
                          "*.gmail.com", "-x.com", "user@", "com"}) {
    INFO("input: " << bad);
    CHECK_FALSE(router.Lookup(bad).error.empty());
  }
}

TEST_CASE("Router says when gen qmail refuses the policy", "[route]") {
  Analysis analysis = AnalyzePolicy("p.json", R"({"version": 1,
    "relays": {"v6": {"host": "2001:db8::25"}},
    "routes": [{"domains": ["gmail.com"], "relay": "v6"}]})",
                                    ParseLimits{});
  REQUIRE_FALSE(analysis.diags.HasErrors());
  EmitContext context;
  REQUIRE(LoadTemplates("", context).empty());
  RouteAnswer answer = Router(*analysis.policy, context).Lookup("gmail.com");
  REQUIRE(answer.answers.size() == 2);
  CHECK(answer.answers[0].decision.nexthop == "[ipv6:2001:db8::25]:25");
  CHECK_FALSE(answer.answers[1].refused.empty());
}

}  // namespace
}  // namespace mtaroute
