// Unit tests for policy decoding and validation: canonical model values, and which rules a
// policy triggers at which pointer. The exact wording is pinned by the lint suite (tests/lint).
#include <catch2/catch.hpp>

#include "policy/analyze.h"

namespace mtaroute {
namespace {

std::vector<std::string> Rules(const Analysis& analysis) {
  std::vector<std::string> out;
  for (const Diagnostic& d : analysis.diags.items()) {
    out.push_back(std::string(SeverityName(d.severity)) + " " + d.rule + " " + d.pointer);
  }
  return out;
}

Analysis Analyze(const std::string& text) { return AnalyzePolicy("p.json", text, ParseLimits{}); }

TEST_CASE("Decoding yields canonical forms", "[decode]") {
  Analysis a = Analyze(R"({
    "version": 1,
    "relays": {
      "r": {"host": "Relay.Example.NET.", "port": 587, "egress": ["2001:DB8:0::25"]},
      "v6": {"host": "2001:0db8::0001", "tls": "encrypt"}
    },
    "routes": [
      {"domains": ["GMail.com.", "bücher.example"], "subdomains": true, "relay": "r",
       "note": "reputation"},
      {"domains": ["x.example"], "relay": "v6"}
    ],
    "default": "direct",
    "origins": [{"name": "web", "networks": ["192.0.2.0/24", "2001:db8:1::/48"]}]
  })");
  INFO(Rules(a).size());
  REQUIRE(a.policy);
  CHECK_FALSE(a.diags.HasErrors());
  const Policy& p = *a.policy;
  REQUIRE(p.relays.size() == 2);
  CHECK(p.relays[0].name == "r");
  CHECK(p.relays[0].host.text == "relay.example.net");
  CHECK(p.relays[0].host.kind == Host::Kind::kName);
  CHECK(p.relays[0].port == 587);
  CHECK(p.relays[0].egress.at(0).network.ToCompactString() == "2001:db8::25");
  CHECK(p.relays[1].host.text == "2001:db8::1");
  CHECK(p.relays[1].host.kind == Host::Kind::kIpv6);
  CHECK(p.relays[1].tls == TlsLevel::kEncrypt);
  REQUIRE(p.routes.size() == 2);
  CHECK(p.routes[0].domains.at(0).name == "gmail.com");
  CHECK(p.routes[0].domains.at(1).name == "xn--bcher-kva.example");
  CHECK(p.routes[0].DomainPointer(p.routes[0].domains.at(1)) == "/routes/0/domains/1");
  CHECK(p.routes[0].subdomains);
  CHECK(p.routes[0].note == "reputation");
  CHECK(p.origins.at(0).networks.at(1).network.ToString() == "2001:db8:1::/48");
  CHECK(p.FindRelay("v6") == &p.relays[1]);
  CHECK(p.FindRelay("none") == nullptr);
}

TEST_CASE("Each bad policy triggers exactly the expected rules", "[decode]") {
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> expected;  // "severity rule pointer", in location order
  };
  const std::vector<Case> cases = {
      {"missing version", R"({})", {"error missing-key "}},
      {"version 2", R"({"version": 2})", {"error bad-version /version"}},
      {"version string", R"({"version": "1"})", {"error bad-version /version"}},
      {"unknown top key", R"({"version": 1, "rout": []})", {"error unknown-key /rout"}},
      {"x- and $schema keys", R"({"$schema": "s", "x-owner": 1, "version": 1})", {}},
      {"relay without host", R"({"version": 1, "relays": {"r": {}}, "default": "r"})",
       {"error missing-key /relays/r"}},
      {"port zero", R"({"version":1,"relays":{"r":{"host":"h.example","port":0}},"default":"r"})",
       {"error out-of-range /relays/r/port"}},
      {"port float", R"({"version":1,"relays":{"r":{"host":"h.example","port":25.0}},"default":"r"})",
       {"error type-mismatch /relays/r/port"}},
      {"port string", R"({"version":1,"relays":{"r":{"host":"h.example","port":"25"}},"default":"r"})",
       {"error type-mismatch /relays/r/port"}},
      {"unknown relay", R"({"version":1,"routes":[{"domains":["a.example"],"relay":"x"}]})",
       {"error unknown-relay /routes/0/relay"}},
      {"unused relay", R"({"version":1,"relays":{"r":{"host":"h.example"}}})",
       {"warning unused-relay /relays/r"}},
      {"direct is reserved", R"({"version":1,"relays":{"direct":{"host":"h.example"}}})",
       {"error reserved-relay-name /relays/direct"}},
      {"bad relay name", R"({"version":1,"relays":{"Big":{"host":"h.example"}}})",
       {"error bad-relay-name /relays/Big"}},
      {"wildcard", R"({"version":1,"routes":[{"domains":["*.a.example"],"relay":"direct"}]})",
       {"error wildcard-domain /routes/0/domains/0"}},
      {"injection", R"({"version":1,"routes":[{"domains":["a.example\n* smtp:[x]"],"relay":"direct"}]})",
       {"error unsafe-character /routes/0/domains/0"}},
      {"duplicate domain", R"({"version":1,"routes":[{"domains":["a.example"],"relay":"direct"},
                                                      {"domains":["A.example."],"relay":"direct"}]})",
       {"note duplicate-domain /routes/0/domains/0", "error duplicate-domain /routes/1/domains/0"}},
      {"host bits", R"({"version":1,"origins":[{"name":"o","networks":["10.1.2.3/24"]}]})",
       {"error host-bits-set /origins/0/networks/0"}},
      {"inline secret",
       R"({"version":1,"relays":{"r":{"host":"h.example","tls":"encrypt",
           "auth":{"username":"u","password":"p","password_env":"P"}}},"default":"r"})",
       {"error inline-secret /relays/r/auth/password", "warning qmail-unsupported /default"}},
      {"auth without tls",
       R"({"version":1,"relays":{"r":{"host":"h.example","auth":{"username":"u","password_env":"P"}}},
           "default":"r"})",
       {"warning auth-without-tls /relays/r/auth", "warning qmail-unsupported /default"}},
      {"mx on address", R"({"version":1,"relays":{"r":{"host":"192.0.2.1","mx":true}},"default":"r"})",
       {"error mx-on-address /relays/r/mx", "warning qmail-unsupported /default"}},
      {"bracketed host", R"({"version":1,"relays":{"r":{"host":"[192.0.2.1]"}},"default":"r"})",
       {"error bad-host /relays/r/host"}},
      {"note with newline",
       R"({"version":1,"routes":[{"domains":["a.example"],"relay":"direct","note":"a\nb"}]})",
       {"error bad-note /routes/0/note"}},
      {"duplicate spf", R"({"version":1,"spf":[{"domain":"a.example"},{"domain":"a.example"}]})",
       {"error duplicate-spf-domain /spf/1/domain"}},
      {"plus all", R"({"version":1,"spf":[{"domain":"a.example","all":"+all"}]})",
       {"error spf-plus-all /spf/0/all"}},
  };
  for (const Case& c : cases) {
    INFO(c.name << ": " << c.text);
    Analysis a = Analyze(c.text);
    std::vector<std::string> rules = Rules(a);
    // SPF rules may add warnings (documentation addresses...) that other tests pin down.
    std::erase_if(rules, [&](const std::string& r) {
      return r.rfind("warning spf", 0) == 0 &&
             std::find(c.expected.begin(), c.expected.end(), r) == c.expected.end();
    });
    CHECK(rules == c.expected);
  }
}

}  // namespace
}  // namespace mtaroute

namespace mtaroute {
namespace {

// The parser reads plain domain strings past nlohmann's lexer (document.cc ReadPlainDomains):
// whatever it leaves to the lexer must be reported exactly where it stands, and what it reads
// must decode as the lexer would.
std::string Policy(const std::string& domains) {
  return "{\"version\": 1, \"relays\": {\"r\": {\"host\": \"192.0.2.25\"}},\n"
         "\"routes\": [{\"relay\": \"r\", \"domains\": " + domains + "}]}\n";
}

std::vector<std::string> Located(const Analysis& analysis) {
  std::vector<std::string> out;
  for (const Diagnostic& d : analysis.diags.items()) {
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + " " + d.rule + " " +
                  d.pointer);
  }
  return out;
}

std::vector<std::string> Names(const Analysis& analysis) {
  std::vector<std::string> out;
  if (!analysis.policy || analysis.policy->routes.empty()) return out;
  const Route& route = analysis.policy->routes[0];
  for (const RouteDomain& d : route.domains) {
    out.push_back(std::string(d.name) + " " + route.DomainPointer(d));
  }
  return out;
}

TEST_CASE("Plain domains read past the lexer decode as the lexer would", "[decode][document]") {
  // Escapes, upper case, a comment, white space and an IDN among plain names.
  Analysis a = Analyze(Policy(
      "[\"a.example\", \"gm\\u0061il.com\",\n  \"b.example\" , /* c */ \"C.Example\","
      "\t\"bücher.example\", \"d.example\"]"));
  CHECK(Located(a).empty());
  CHECK(Names(a) == std::vector<std::string>{
                        "a.example /routes/0/domains/0", "gmail.com /routes/0/domains/1",
                        "b.example /routes/0/domains/2", "c.example /routes/0/domains/3",
                        "xn--bcher-kva.example /routes/0/domains/4",
                        "d.example /routes/0/domains/5"});
}

TEST_CASE("Errors after plain domains keep their exact place", "[decode][document]") {
  SECTION("a trailing comma") {
    Analysis a = Analyze(Policy("[\"a.example\", \"b.example\", \"c.example\",]"));
    CHECK(Located(a) == std::vector<std::string>{"2:77 json-syntax "});
    REQUIRE(!a.diags.items().empty());
    CHECK(a.diags.items()[0].hint == "remove the trailing comma: JSON does not allow it");
  }
  SECTION("a missing comma") {
    Analysis a = Analyze(Policy("[\"a.example\", \"b.example\" \"c.example\"]"));
    CHECK(Located(a) == std::vector<std::string>{"2:64 json-syntax "});
  }
  SECTION("a raw control character inside a later string") {
    Analysis a = Analyze(Policy("[\"a.example\", \"b.example\", \"c\x01.example\"]"));
    REQUIRE(Located(a).size() == 1);
    CHECK(Located(a)[0] == "2:67 json-syntax ");  // at the control character itself
  }
  SECTION("elements that are not strings, and a bad domain") {
    Analysis a = Analyze(Policy(
        "[\"a.example\", \"b.example\", 5, \"c.example\", {\"k\": 1, \"k\": 2}, \"-x.example\"]"));
    CHECK(Located(a) == std::vector<std::string>{
                            "2:65 type-mismatch /routes/0/domains/2",
                            "2:81 type-mismatch /routes/0/domains/4",
                            "2:90 duplicate-key /routes/0/domains/4/k",
                            "2:99 bad-domain /routes/0/domains/5"});
  }
  SECTION("a domain repeated far from its first place") {
    std::string domains = "[";
    for (int i = 0; i < 1000; ++i) domains += "\"d" + std::to_string(i) + ".example\", ";
    domains += "\"d7.example\"]";
    Analysis a = Analyze(Policy(domains));
    CHECK(Rules(a) == std::vector<std::string>{"error duplicate-domain /routes/0/domains/1000"});
    REQUIRE(a.diags.items().size() == 1);
    CHECK(a.diags.items()[0].message == "domain \"d7.example\" is listed twice in route 1");
  }
}

}  // namespace
}  // namespace mtaroute
