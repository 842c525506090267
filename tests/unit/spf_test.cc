// Unit tests for policy/spf_record and policy/spf_check, and the spf target's formats: record
// building from policies, splitting into character-strings at exactly 255 bytes (multi-byte
// and escaped characters included), lookup counting, term syntax, and the lint rules.
#include "policy/spf_record.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "emit/output.h"
#include "policy/analyze.h"

namespace mtaroute {
namespace {

// A policy from JSON text, with its diagnostics (the SPF rules included).
Analysis Analyze(const std::string& text) { return AnalyzePolicy("p.json", text, ParseLimits{}); }

const Policy& PolicyOf(const Analysis& analysis) {
  REQUIRE(analysis.policy.has_value());
  return *analysis.policy;
}

std::string FirstValue(const std::string& text) {
  Analysis analysis = Analyze(text);
  const Policy& policy = PolicyOf(analysis);
  REQUIRE(policy.spf.size() >= 1);
  return BuildSpfRecord(policy, policy.spf[0]).Value();
}

// Policy text with the given relays, routes, default, origins and spf entries (JSON members).
std::string PolicyText(const std::string& members) { return "{\"version\": 1, " + members + "}"; }

TEST_CASE("BuildSpfRecord: terms in order, canonical, without duplicates", "[spf]") {
  struct Case {
    std::string members;
    std::string value;
  };
  const std::vector<Case> cases = {
      // The SPEC example: origins, egress, include, mechanisms, all.
      {R"("relays": {"r": {"host": "relay.example.net", "egress": ["203.0.113.10", "2001:db8:10::25"]}},
          "routes": [{"domains": ["gmail.com"], "relay": "r"}],
          "origins": [{"name": "o", "networks": ["153.122.10.20", "153.122.10.0/28", "2001:db8:1::/48"]}],
          "spf": [{"domain": "example.co.jp", "include": ["_spf.google.com"], "mechanisms": ["mx"]}])",
       "v=spf1 ip4:153.122.10.20 ip4:153.122.10.0/28 ip6:2001:db8:1::/48 ip4:203.0.113.10 "
       "ip6:2001:db8:10::25 include:_spf.google.com mx ~all"},
      // /32 and /128 written without a prefix; duplicates and covered networks dropped, first
      // appearance order kept; the covering network stays where it first appears.
      {R"("origins": [{"name": "a", "networks": ["192.0.2.5/32", "2001:db8::1/128", "192.0.2.5"]},
                      {"name": "b", "networks": ["198.51.100.7", "198.51.100.0/24", "2001:db8::/32"]}],
          "spf": [{"domain": "example.com", "all": "-all"}])",
       "v=spf1 ip4:192.0.2.5 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all"},
      // Egress covered by an origin network is dropped; unused relays contribute nothing.
      {R"("relays": {"used": {"host": "relay.example.net", "egress": ["192.0.2.7"]},
                     "unused": {"host": "other.example.net", "egress": ["198.51.100.1"]}},
          "default": "used",
          "origins": [{"name": "o", "networks": ["192.0.2.0/24"]}],
          "spf": [{"domain": "example.com"}])",
       "v=spf1 ip4:192.0.2.0/24 ~all"},
      // Relays without egress: IP-literal hosts give their address, names give a:, mx relays mx:.
      // UsedRelays() is sorted by name.
      {R"("relays": {"b-v4": {"host": "192.0.2.25"}, "a-v6": {"host": "2001:DB8:0::25"},
                     "c-name": {"host": "Relay.Example.NET."}, "d-mx": {"host": "relays.example.org", "mx": true}},
          "routes": [{"domains": ["a.example"], "relay": "b-v4"}, {"domains": ["b.example"], "relay": "a-v6"},
                     {"domains": ["c.example"], "relay": "c-name"}, {"domains": ["d.example"], "relay": "d-mx"}],
          "spf": [{"domain": "example.com", "all": "?all", "ttl": 60}])",
       "v=spf1 ip6:2001:db8::25 ip4:192.0.2.25 a:relay.example.net mx:relays.example.org ?all"},
      // Includes once each, in order; mechanisms as written, after them.
      {R"("spf": [{"domain": "example.com", "include": ["_spf.b.example", "_SPF.A.example", "_spf.b.example"],
                   "mechanisms": ["-ip4:192.0.2.1", "a:%{d}.example", "exp=explain.example"]}])",
       "v=spf1 include:_spf.b.example include:_spf.a.example -ip4:192.0.2.1 a:%{d}.example "
       "exp=explain.example ~all"},
      // Nothing at all: a record that authorizes no host.
      {R"("spf": [{"domain": "example.com", "all": "-all"}])", "v=spf1 -all"},
  };
  for (const Case& c : cases) {
    INFO(c.members);
    CHECK(FirstValue(PolicyText(c.members)) == c.value);
  }
}

TEST_CASE("BuildSpfRecord keeps where each term came from", "[spf]") {
  Analysis analysis = Analyze(PolicyText(
      R"("relays": {"r": {"host": "relay.example.net"}}, "default": "r",
         "origins": [{"name": "o", "networks": ["192.0.2.1"]}],
         "spf": [{"domain": "example.com", "include": ["x.example"], "mechanisms": ["mx"], "ttl": 300}])"));
  const Policy& policy = PolicyOf(analysis);
  SpfRecord record = BuildSpfRecord(policy, policy.spf[0]);
  CHECK(record.name == "example.com");
  CHECK(record.ttl == 300);
  REQUIRE(record.terms.size() == 5);
  CHECK(record.terms[0].pointer == "/origins/0/networks/0");
  CHECK(record.terms[0].source == SpfTerm::Source::kOrigin);
  CHECK(record.terms[1].pointer == "/relays/r/host");
  CHECK(record.terms[1].source == SpfTerm::Source::kRelayHost);
  CHECK(record.terms[2].pointer == "/spf/0/include/0");
  CHECK(record.terms[3].pointer == "/spf/0/mechanisms/0");
  CHECK(record.terms[4].text == "~all");
  CHECK(record.Lookups() == 3);  // a:relay.example.net, include, mx
}

TEST_CASE("SplitCharacterStrings cuts at 255 bytes, never inside a UTF-8 sequence", "[spf]") {
  const std::string e_acute = "\xc3\xa9";        // 2 bytes
  const std::string snowman = "\xe2\x98\x83";    // 3 bytes
  const std::string emoji = "\xf0\x9f\x98\x80";  // 4 bytes
  struct Case {
    std::string value;
    std::vector<std::size_t> sizes;
  };
  const std::vector<Case> cases = {
      {"", {0}},
      {"v=spf1 -all", {11}},
      {std::string(255, 'a'), {255}},
      {std::string(256, 'a'), {255, 1}},
      {std::string(510, 'a'), {255, 255}},
      {std::string(511, 'a'), {255, 255, 1}},
      {std::string(253, 'a') + e_acute + "b", {255, 1}},  // ends exactly at 255
      {std::string(254, 'a') + e_acute + "b", {254, 3}},  // would straddle: moves whole
      {std::string(253, 'a') + snowman + "b", {253, 4}},
      {std::string(252, 'a') + snowman + "b", {255, 1}},
      {std::string(252, 'a') + emoji, {252, 4}},
      {std::string(251, 'a') + emoji + std::string(255, 'c'), {255, 255}},
      {std::string(254, 'a') + "\"\\" + std::string(10, 'b'), {255, 11}},  // bytes, not escapes
  };
  for (const Case& c : cases) {
    INFO("value of " << c.value.size() << " bytes: " << c.value.substr(0, 20) << "...");
    std::vector<std::string> strings = SplitCharacterStrings(c.value);
    std::vector<std::size_t> sizes;
    std::string joined;
    for (const std::string& s : strings) {
      sizes.push_back(s.size());
      joined += s;
      CHECK(s.size() <= kMaxCharacterString);
      if (!s.empty()) CHECK((static_cast<unsigned char>(s[0]) & 0xc0) != 0x80);
    }
    CHECK(sizes == c.sizes);
    CHECK(joined == c.value);  // concatenated with nothing added
  }
}

// The zone text of a policy's spf.zone, and its TXT line for a name.
std::string ZoneText(const Policy& policy) {
  EmitContext context;
  context.policy_file = "p.json";
  context.header_template = "Generated by {tool} from {policy}: {file}.\n";
  context.spf_format = "zone";
  std::vector<OutputFile> files = FindTarget("spf")->emit(policy, context);
  REQUIRE(files.size() == 1);
  CHECK(files[0].name == "spf.zone");
  return files[0].content;
}

// The character-strings of a zone TXT line, unescaped (\X and \DDD), as a DNS server reads them.
std::vector<std::string> ParseTxtStrings(const std::string& line, std::vector<std::size_t>* raw) {
  std::vector<std::string> strings;
  std::size_t i = line.find(" IN TXT ");
  REQUIRE(i != std::string::npos);
  for (i += 8; i < line.size(); ++i) {
    if (line[i] == ' ') continue;
    REQUIRE(line[i] == '"');
    std::string s;
    std::size_t start = i;
    for (++i; line[i] != '"'; ++i) {
      if (line[i] != '\\') {
        s += line[i];
      } else if (std::isdigit(static_cast<unsigned char>(line[i + 1]))) {
        s += static_cast<char>(std::stoi(line.substr(i + 1, 3)));
        i += 3;
      } else {
        s += line[++i];
      }
    }
    if (raw) raw->push_back(i - start + 1);
    strings.push_back(s);
  }
  return strings;
}

TEST_CASE("spf.zone: 255 unescaped bytes per string, quotes and backslashes escaped", "[spf]") {
  // Mechanisms that lint would refuse, to drive the emitter's escaping: it must still be exact.
  struct Case {
    std::string mechanism;                  // makes the record long enough to split
    std::vector<std::size_t> string_sizes;  // unescaped
  };
  const std::string prefix = "v=spf1 ";  // + mechanism + " -all"
  const std::vector<Case> cases = {
      {std::string(243, 'a'), {255}},  // 7 + 243 + 5 = 255
      {std::string(244, 'a'), {255, 1}},
      {std::string(240, 'a') + "\"\\\"", {255}},  // escapes in the zone only
      {std::string(246, 'a') + "\"\"\"\"" + "\\\\" + "x", {255, 10}},
      {std::string(247, 'a') + "\xc3\xa9", {254, 7}},  // é kept whole
      {std::string(600, 'q'), {255, 255, 102}},
  };
  for (const Case& c : cases) {
    INFO(c.mechanism);
    Policy policy;
    SpfEntry entry;
    entry.domain.name = "example.com";
    entry.mechanisms = {c.mechanism};
    entry.all = "-all";
    policy.spf.push_back(entry);
    std::string zone = ZoneText(policy);
    std::size_t at = zone.find("\nexample.com. 3600 IN TXT \"");
    REQUIRE(at != std::string::npos);
    std::string line = zone.substr(at + 1, zone.find('\n', at + 1) - at - 1);
    std::vector<std::size_t> raw;
    std::vector<std::string> strings = ParseTxtStrings(line, &raw);
    std::vector<std::size_t> sizes;
    std::string joined;
    for (const std::string& s : strings) {
      sizes.push_back(s.size());
      joined += s;
    }
    CHECK(sizes == c.string_sizes);
    CHECK(joined == prefix + c.mechanism + " -all");
    for (unsigned char ch : line) CHECK((ch >= 0x20 && ch < 0x7f));           // plain ASCII line
    if (c.mechanism.find('"') != std::string::npos) CHECK(raw[0] > 255 + 2);  // escaped: longer
  }
}

TEST_CASE("spf formats: zone, txt, json, and a policy without spf entries", "[spf]") {
  Analysis analysis = Analyze(PolicyText(
      R"("origins": [{"name": "o", "networks": ["192.0.2.1"]}],
         "spf": [{"domain": "a.example", "ttl": 60}, {"domain": "b.example", "include": ["i.example"], "all": "-all"}])"));
  const Policy& policy = PolicyOf(analysis);
  EmitContext context;
  context.policy_file = "p.json";
  context.header_template = "from {policy}\n";
  const Target& target = *FindTarget("spf");
  context.spf_format = "zone";
  CHECK(target.emit(policy, context)[0].content ==
        "; from p.json\n"
        "; a.example: 25 bytes in 1 string, 0 DNS lookups of 10\n"
        "a.example. 60 IN TXT \"v=spf1 ip4:192.0.2.1 ~all\"\n"
        "; b.example: 43 bytes in 1 string, 1 DNS lookup of 10, plus those of the included "
        "records\n"
        "b.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.1 include:i.example -all\"\n");
  context.spf_format = "txt";
  CHECK(target.emit(policy, context)[0].name == "spf.txt");
  CHECK(target.emit(policy, context)[0].content ==
        "a.example\tv=spf1 ip4:192.0.2.1 ~all\n"
        "b.example\tv=spf1 ip4:192.0.2.1 include:i.example -all\n");
  context.spf_format = "json";
  CHECK(target.emit(policy, context)[0].name == "spf.json");
  CHECK(target.emit(policy, context)[0].content.starts_with(
      "[\n  {\n    \"name\": \"a.example\",\n    \"ttl\": 60,\n    \"value\": \"v=spf1 "
      "ip4:192.0.2.1 "
      "~all\",\n    \"strings\": [\n      \"v=spf1 ip4:192.0.2.1 ~all\"\n    ],\n    \"lookups\": "
      "0\n"));

  Policy one = policy;
  one.spf.resize(1);
  context.spf_format = "txt";
  CHECK(target.emit(one, context)[0].content == "v=spf1 ip4:192.0.2.1 ~all\n");

  Policy none;
  context.spf_format = "zone";
  CHECK(target.emit(none, context)[0].content ==
        "; from p.json\n; the policy has no \"spf\" entries: no records\n");
  context.spf_format = "txt";
  CHECK(target.emit(none, context)[0].content.empty());
  context.spf_format = "json";
  CHECK(target.emit(none, context)[0].content == "[]\n");
}

TEST_CASE("Lookups count include a mx ptr exists redirect, not ip4 ip6 all exp", "[spf]") {
  struct Case {
    std::string term;
    bool queries;
  };
  const std::vector<Case> cases = {
      {"include:_spf.example.com", true},
      {"-include:x.example", true},
      {"a", true},
      {"a:mail.example.com/24", true},
      {"MX", true},
      {"~mx//64", true},
      {"ptr", true},
      {"?ptr:example.com", true},
      {"exists:%{i}._spf.example.com", true},
      {"redirect=_spf.example.com", true},
      {"ip4:192.0.2.0/24", false},
      {"ip6:2001:db8::/32", false},
      {"exp=explain.example.com", false},
      {"~all", false},
      {"-all", false},
  };
  for (const Case& c : cases) {
    INFO(c.term);
    CHECK(ParseSpfTerm(c.term).QueriesDns() == c.queries);
  }
  SpfRecord record;
  for (const Case& c : cases) {
    SpfTerm term;
    term.text = c.term;
    record.terms.push_back(term);
  }
  CHECK(record.Lookups() == 10);
}

TEST_CASE("ParseSpfTerm accepts RFC 7208 terms", "[spf]") {
  const std::vector<std::string> good = {
      "a",
      "+a",
      "-a",
      "~a",
      "?a",
      "a:example.com",
      "a:example.com.",
      "a/24",
      "a//64",
      "a/24//64",
      "a:example.com/0//128",
      "A:Example.COM",
      "mx",
      "mx:mail.example.com/30",
      "ptr",
      "ptr:example.com",
      "include:_spf.google.com",
      "exists:%{i}.spf.example.com",
      "exists:%{ir}.%{v}._spf.%{d2}",
      "include:%{d}",
      "a:%{l1r-}.example.com",
      "a:%{o}.example.com",
      "a:%{s}.example.com",
      "a:%{p}.example.com",
      "a:%{h}.example.com",
      "a:%{D}.example.com",
      "a:%{d128r.-+,/_=}.example.com",
      "a:x%%y.example.com",
      "a:x%_y.example.com",
      "a:x%-y.example.com",
      "a:1-2.3-4",
      "a:example.xn--p1ai",
      "ip4:192.0.2.1",
      "ip4:192.0.2.0/24",
      "ip4:0.0.0.0/0",
      "ip4:192.0.2.1/32",
      "-ip4:10.0.0.0/8",
      "ip6:2001:db8::1",
      "ip6:2001:db8::/32",
      "ip6:2001:DB8::/128",
      "ip6:::ffff:192.0.2.1",
      "ip6:::/0",
      "redirect=_spf.example.com",
      "exp=explain.%{d}",
      "exp=explain.example.com",
  };
  for (const std::string& term : good) {
    SpfTermSyntax syntax = ParseSpfTerm(term);
    INFO(term << ": " << syntax.error);
    CHECK(syntax.error.empty());
    CHECK_FALSE(syntax.host_bits);
  }
}

TEST_CASE("ParseSpfTerm rejects what verifiers reject, with the reason", "[spf]") {
  struct Case {
    std::string term;
    std::string error;  // a part of the message
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"ip4:192.0.2.1 -all", "a space at byte 14"},
      {"a:exa\tmple.com", "control character"},
      {"a:\"example.com\"", "a quote"},
      {"a:example\\.com", "a backslash"},
      {"a:bücher.example", "non-ASCII"},
      {"v=spf1", "writes \"v=spf1\""},
      {"V=SPF1", "writes \"v=spf1\""},
      {"all", "\"all\" key"},
      {"-all", "\"all\" key"},
      {"+all", "\"all\" key"},
      {"*a", "unknown mechanism"},
      {"include", "needs a domain"},
      {"include:", "missing"},
      {"exists", "needs a domain"},
      {"include:example.com/24", "no CIDR length"},
      {"ptr/24", "no CIDR length"},
      {"includ:example.com", "unknown mechanism \"includ\""},
      {"ip:192.0.2.1", "unknown mechanism"},
      {"ip4", "needs an address"},
      {"ip4:", "is not an IPv4 address"},
      {"ip4:203.0.113", "is not an IPv4 address"},
      {"ip4:203.0.113.010", "is not an IPv4 address"},
      {"ip4:256.0.0.1", "is not an IPv4 address"},
      {"ip4:192.0.2.0/33", "bad prefix length"},
      {"ip4:192.0.2.0/024", "bad prefix length"},
      {"ip4:192.0.2.0/", "bad prefix length"},
      {"ip4:192.0.2.0/-1", "bad prefix length"},
      {"ip4:2001:db8::1", "is an IPv6 address"},
      {"ip6:192.0.2.1", "is an IPv4 address"},
      {"ip6:2001:db8::/129", "bad prefix length"},
      {"ip6:2001:db8:::1", "is not an IPv6 address"},
      {"ip6:[2001:db8::1]", "is not an IPv6 address"},
      {"ip4:%{i}", "not a macro"},
      {"a/33", "IPv4 CIDR length"},
      {"a//129", "IPv6 CIDR length"},
      {"a:example.com/24/64", "IPv4 CIDR length"},
      {"a:example.com//", "IPv6 CIDR length"},
      {"mx/", "IPv4 CIDR length"},
      {"a:example", "top-level label"},
      {"a:example.123", "top-level label"},
      {"a:example.-com", "top-level label"},
      {"a:example..com", "empty label"},
      {"a:.example.com", "empty label"},
      {"a:" + std::string(64, 'x') + ".example.com", "longer than 63"},
      {"a:%{x}.example.com", "letters s l o d i p h v"},
      {"a:%{c}.example.com", "explanation texts only"},
      {"a:%{d0}.example.com", "write 1 to 128"},
      {"a:%{d2!}.example.com", "is not a transformer"},
      {"a:%{d.example.com", "not closed"},
      {"a:100%.example.com", "starts no macro"},
      {"a:%x.example.com", "starts no macro"},
      {"redirect=", "needs a domain"},
      {"redirect=localhost", "top-level label"},
      {"-redirect=_spf.example.com", "no qualifier"},
      {"redirct=_spf.example.com", "unknown modifier"},
      {"foo=bar", "unknown modifier"},
  };
  for (const Case& c : cases) {
    SpfTermSyntax syntax = ParseSpfTerm(c.term);
    INFO(c.term << ": " << syntax.error);
    CHECK_THAT(syntax.error, Catch::Contains(c.error));
  }
  CHECK(ParseSpfTerm("includ:x.example").hint == "did you mean \"include\"?");
  CHECK(ParseSpfTerm("redirct=x.example").hint == "did you mean \"redirect=\"?");
  CHECK(ParseSpfTerm("-all").hint.find("\"all\" to") != std::string::npos);
  CHECK(ParseSpfTerm("redirect=_spf.example.net").argument == "_spf.example.net");
  CHECK(ParseSpfTerm("a:mail.example.com/24").argument == "mail.example.com");
}

TEST_CASE("ParseSpfTerm and the splitter survive random input", "[spf]") {
  const std::string alphabet = "aimpx46:/=%{}.-_+~?0139dDlrR \"\\\xc3\xa9";
  std::mt19937 random(7208);
  for (int i = 0; i < 20000; ++i) {
    std::string term;
    for (std::size_t n = random() % 24; n > 0; --n) term += alphabet[random() % alphabet.size()];
    INFO(term);
    SpfTermSyntax syntax = ParseSpfTerm(term);
    if (syntax.error.empty()) {
      CHECK(term.find_first_of(" \"\\") == std::string::npos);  // never valid in a term
      CHECK_FALSE(syntax.name.empty());
    }
    std::string value = "v=spf1 " + std::string(random() % 600, 'x') + term;
    std::string joined;
    for (const std::string& part : SplitCharacterStrings(value)) {
      CHECK(part.size() <= kMaxCharacterString);
      joined += part;
    }
    CHECK(joined == value);
  }
}

TEST_CASE("ParseSpfTerm sees host bits and the network an ip term matches", "[spf]") {
  SpfTermSyntax syntax = ParseSpfTerm("ip4:192.0.2.77/24");
  CHECK(syntax.error.empty());
  CHECK(syntax.host_bits);
  REQUIRE(syntax.network.has_value());
  CHECK(syntax.network->ToString() == "192.0.2.0/24");
  syntax = ParseSpfTerm("ip6:2001:db8::1/32");
  CHECK(syntax.host_bits);
  CHECK(syntax.network->ToString() == "2001:db8::/32");
  CHECK(ParseSpfTerm("ip4:192.0.2.5").network->ToCompactString() == "192.0.2.5");
}

struct Finding {
  std::string severity;
  std::string rule;
  std::string pointer;
  bool operator==(const Finding&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Finding& f) {
  return out << f.severity << " " << f.rule << " " << f.pointer;
}

// The SPF findings (rules starting "spf-", "bad-spf", "duplicate-spf", "host-bits") of a policy.
std::vector<Finding> SpfFindings(const std::string& members) {
  Analysis analysis = Analyze(PolicyText(members));
  std::vector<Finding> out;
  for (const Diagnostic& d : analysis.diags.items()) {
    if (d.rule.find("spf") == std::string::npos && d.rule != "host-bits-set") continue;
    out.push_back({SeverityName(d.severity), d.rule, d.pointer});
  }
  return out;
}

TEST_CASE("CheckSpf reports each SPF rule at its place", "[spf]") {
  const std::string public_origin =
      R"("origins": [{"name": "o", "networks": ["153.122.10.0/28"]}], )";
  struct Case {
    std::string members;
    std::vector<Finding> findings;
  };
  std::string eleven;
  for (int i = 0; i < 11; ++i)
    eleven += (i ? ", " : "") + ("\"a:h" + std::to_string(i) + ".example.com\"");
  std::string long_origins;
  for (int i = 0; i < 30; ++i)
    long_origins += (i ? ", " : "") + ("\"153.122." + std::to_string(i) + ".0/24\"");
  const std::vector<Case> cases = {
      {public_origin +
           R"("spf": [{"domain": "example.com", "include": ["_spf.google.com"], "mechanisms": ["mx"]}])",
       {}},
      {public_origin + R"("spf": [{"domain": "example.com", "mechanisms": [)" + eleven + "]}]",
       {{"error", "spf-too-many-lookups", "/spf/0"}}},
      {public_origin + R"("spf": [{"domain": "example.com", "mechanisms": [)" +
           eleven.substr(eleven.find(',') + 2) + "]}]",
       {}},  // exactly 10
      {R"("origins": [{"name": "o", "networks": [)" + long_origins +
           R"(]}], "spf": [{"domain": "example.com"}])",
       {{"warning", "spf-record-too-long", "/spf/0"}}},
      {R"("origins": [{"name": "o", "networks": ["10.1.0.0/16", "192.0.2.1", "127.0.0.1", "2001:db8::/48", "153.122.10.0/28"]}],
          "spf": [{"domain": "a.example"}, {"domain": "b.example", "mechanisms": ["ip4:192.168.1.1", "ip6:fe80::1"]}])",
       {{"warning", "spf-special-address", "/origins/0/networks/0"},
        {"warning", "spf-special-address", "/origins/0/networks/1"},
        {"warning", "spf-special-address", "/origins/0/networks/2"},
        {"warning", "spf-special-address", "/origins/0/networks/3"},
        {"warning", "spf-special-address", "/spf/1/mechanisms/0"},
        {"warning", "spf-special-address", "/spf/1/mechanisms/1"}}},
      // A mechanism keeps its own pointer when an element before it is not a string.
      {public_origin + R"("spf": [{"domain": "example.com", "mechanisms": [7, "ptr"]}])",
       {{"warning", "spf-ptr", "/spf/0/mechanisms/1"}}},
      // Origins with special addresses but no SPF entry: nothing to warn about.
      {R"("origins": [{"name": "o", "networks": ["10.1.0.0/16"]}])", {}},
      {R"("relays": {"r": {"host": "relay.example.net"}, "m": {"host": "mx.example.net", "mx": true},
                     "ip": {"host": "153.122.10.99"}, "unused": {"host": "x.example.net"}},
          "routes": [{"domains": ["a.example"], "relay": "r"}, {"domains": ["b.example"], "relay": "m"},
                     {"domains": ["c.example"], "relay": "ip"}],
          "spf": [{"domain": "example.com"}])",
       {{"warning", "spf-relay-without-egress", "/relays/r/host"},
        {"warning", "spf-relay-without-egress", "/relays/m/host"}}},
      {public_origin +
           R"("spf": [{"domain": "example.com", "mechanisms": ["ptr", "v=spf1", "-all", "ip4:153.122.10.1/24",
          "exp=a.example", "exp=b.example", "redirect=_spf.example.net", "ip4:0.0.0.0/0", "?ip6:::/0", "bogus:x"]}])",
       {{"warning", "spf-ptr", "/spf/0/mechanisms/0"},
        {"error", "bad-spf-mechanism", "/spf/0/mechanisms/1"},
        {"error", "bad-spf-mechanism", "/spf/0/mechanisms/2"},
        {"error", "host-bits-set", "/spf/0/mechanisms/3"},
        {"error", "spf-duplicate-modifier", "/spf/0/mechanisms/5"},
        {"error", "spf-redirect-ignored", "/spf/0/mechanisms/6"},
        {"error", "spf-plus-all", "/spf/0/mechanisms/7"},
        {"warning", "spf-special-address", "/spf/0/mechanisms/8"},
        {"error", "bad-spf-mechanism", "/spf/0/mechanisms/9"}}},
      {public_origin +
           R"("spf": [{"domain": "example.com", "include": ["example.com"], "mechanisms": ["include:%{D}"], "all": "+all"},
                                  {"domain": "EXAMPLE.com.", "all": "-al"}])",
       {{"error", "spf-include-loop", "/spf/0/include/0"},
        {"error", "spf-include-loop", "/spf/0/mechanisms/0"},
        {"error", "spf-plus-all", "/spf/0/all"},
        {"error", "duplicate-spf-domain", "/spf/1/domain"},
        {"error", "bad-spf-all", "/spf/1/all"}}},
  };
  for (const Case& c : cases) {
    INFO(c.members);
    CHECK(SpfFindings(c.members) == c.findings);
  }
}

TEST_CASE("CheckSpf messages say what is wrong and how to fix it", "[spf]") {
  Analysis analysis = Analyze(PolicyText(
      R"("relays": {"r": {"host": "relay.example.net"}}, "default": "r",
         "spf": [{"domain": "example.com", "include": ["a.example", "b.example", "c.example", "d.example"],
                  "mechanisms": ["mx", "a", "ptr:x.example", "exists:%{i}.x.example", "mx:m.example", "a:b.example",
                                 "ip4:192.0.2.300"]}])"));
  std::vector<std::string> texts;
  for (const Diagnostic& d : analysis.diags.items()) {
    texts.push_back(d.message + " | " + d.hint + " [" + d.rule + "] " + std::to_string(d.line) +
                    ":" + std::to_string(d.column));
  }
  std::string all;
  for (const std::string& text : texts) all += text + "\n";
  INFO(all);
  auto has = [&](const std::string& part) {
    return std::any_of(texts.begin(), texts.end(),
                       [&](const std::string& t) { return t.find(part) != std::string::npos; });
  };
  CHECK(
      has("the SPF record of \"example.com\" makes 11 DNS lookups (a 3, exists 1, include 4, mx 2, "
          "ptr 1); verifiers stop at 10 with a permanent error, and the mail fails SPF | give "
          "relays \"egress\" and list addresses as ip4:/ip6: instead of a:/mx:/include:; each "
          "included record adds its own lookups to the same limit, which only a live check of the "
          "published record can count [spf-too-many-lookups] 2:18"));
  CHECK(
      has("bad SPF term \"ip4:192.0.2.300\": \"192.0.2.300\" is not an IPv4 address | write four "
          "decimal numbers 0-255 without leading zeros, like 192.0.2.10 [bad-spf-mechanism] 4:34"));
  CHECK(has(
      "relay \"r\" has no \"egress\": the SPF records name it as \"a:relay.example.net\", which "
      "passes the addresses it resolves to; mail it sends from other addresses fails SPF, and "
      "the term costs a DNS lookup"));
}

}  // namespace
}  // namespace mtaroute
