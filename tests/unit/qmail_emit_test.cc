// Unit tests for the qmail emitter (emit/qmail_emit.h): smtproutes from small policies (default
// relay with exemptions, subdomains, notes, sorting, one line per key, relays qmail cannot
// use), tcp.smtp patterns and coverage, the file list, and the install steps. The real
// programs (tcprules, tcprulescheck) check the same outputs in tests/integration/test_qmail_*.

#include "emit/qmail_emit.h"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "model_builders.h"

namespace mtaroute {
namespace {

// An empty header template renders no header: the tests see the entries alone.
EmitContext Bare() {
  EmitContext context;
  context.header_template = "";
  context.policy_file = "p.json";
  return context;
}

const Relay kSmart = MakeRelay("smart", "smtp.provider.example", 587);
const Relay kClean = MakeRelay("clean", "relay.example.net", 2525);
const Relay kByAddress = MakeRelay("addr", "198.51.100.25", 25, Host::Kind::kIpv4);

TEST_CASE("smtproutes: routes, subdomains, exemptions and the default", "[qmail]") {
  struct Case {
    std::string name;
    Policy policy;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"default relay with direct exemptions, one with subdomains",
       MakePolicy({kSmart},
                  {MakeRoute({"partner.example"}, "direct"),
                   MakeRoute({"intern.example"}, "direct", true)},
                  "smart"),
       "\n# route 1: direct (normal MX delivery, not through the default relay)\n"
       "partner.example:\n"
       "\n# route 2: direct (normal MX delivery, not through the default relay), with "
       "subdomains\n"
       "intern.example:\n"
       ".intern.example:\n"
       "\n# default route: every other domain through relay \"smart\"\n"
       ":smtp.provider.example:587\n"},
      {"routed domains with and without subdomains; no default",
       MakePolicy({kClean}, {MakeRoute({"gmail.com", "googlemail.com"}, "clean", true),
                             MakeRoute({"me.com"}, "clean")}),
       "\n# route 1: relay \"clean\", with subdomains\n"
       "gmail.com:relay.example.net:2525\n"
       ".gmail.com:relay.example.net:2525\n"
       "googlemail.com:relay.example.net:2525\n"
       ".googlemail.com:relay.example.net:2525\n"
       "\n# route 2: relay \"clean\"\n"
       "me.com:relay.example.net:2525\n"
       "\n# no default route: every other domain by normal MX delivery\n"},
      {"a direct route is written even with a direct default (it escapes a routed parent)",
       MakePolicy({kClean}, {MakeRoute({"gmail.com"}, "clean", true),
                             MakeRoute({"corp.gmail.com"}, "direct", true)}),
       "\n# route 1: relay \"clean\", with subdomains\n"
       "gmail.com:relay.example.net:2525\n"
       ".gmail.com:relay.example.net:2525\n"
       "\n# route 2: direct (normal MX delivery), with subdomains\n"
       "corp.gmail.com:\n"
       ".corp.gmail.com:\n"
       "\n# no default route: every other domain by normal MX delivery\n"},
      {"an IPv4 relay is written without brackets, always with its port",
       MakePolicy({kByAddress}, {MakeRoute({"outlook.com"}, "addr")}, "addr"),
       "\n# route 1: relay \"addr\"\n"
       "outlook.com:198.51.100.25:25\n"
       "\n# default route: every other domain through relay \"addr\"\n"
       ":198.51.100.25:25\n"},
      {"notes are whole comment lines; control characters cannot end them",
       MakePolicy({kClean}, {MakeRoute({"gmail.com"}, "clean", false,
                                       "Gmail: 550-5.7.1 low reputation\nx:y")}),
       "\n# route 1: relay \"clean\"\n"
       "# note: Gmail: 550-5.7.1 low reputation?x:y\n"
       "gmail.com:relay.example.net:2525\n"
       "\n# no default route: every other domain by normal MX delivery\n"},
      {"domains sorted inside a route, routes in policy order, each key once (the first)",
       MakePolicy({kClean, kSmart},
                  {MakeRoute({"yahoo.com", "aol.com", "yahoo.com"}, "smart", true),
                   MakeRoute({"aol.com", "bing.com"}, "clean")}),
       "\n# route 1: relay \"smart\", with subdomains\n"
       "aol.com:smtp.provider.example:587\n"
       ".aol.com:smtp.provider.example:587\n"
       "yahoo.com:smtp.provider.example:587\n"
       ".yahoo.com:smtp.provider.example:587\n"
       "\n# route 2: relay \"clean\"\n"
       "bing.com:relay.example.net:2525\n"
       "\n# no default route: every other domain by normal MX delivery\n"},
      {"no routes, no default", MakePolicy({}, {}),
       "\n# no default route: every other domain by normal MX delivery\n"},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    CHECK(RenderSmtproutes(test.policy, Bare()) == test.expected);
  }
}

TEST_CASE("smtproutes never writes a line for a relay stock qmail-remote cannot use", "[qmail]") {
  Relay v6 = MakeRelay("v6", "2001:db8::25", 587, Host::Kind::kIpv6);
  Relay auth = MakeRelay("auth", "relay.example.net", 587);
  auth.auth = RelayAuth{"user", "/etc/secret", "", ""};
  auth.tls = TlsLevel::kEncrypt;
  Relay mx = MakeRelay("mx", "relays.example.org", 25);
  mx.mx = true;
  Relay may = MakeRelay("may", "relay.example.net", 25);
  may.tls = TlsLevel::kMay;  // opportunistic: qmail sends in the clear, which "may" allows
  Policy policy = MakePolicy({v6, auth, mx, may},
                             {MakeRoute({"a.example"}, "v6"), MakeRoute({"b.example"}, "auth"),
                              MakeRoute({"c.example"}, "mx"), MakeRoute({"d.example"}, "may"),
                              MakeRoute({"e.example"}, "nosuch")},
                             "auth");
  CHECK(RenderSmtproutes(policy, Bare()) ==
        "\n# route 1: relay \"v6\"\n"
        "# not written: relay \"v6\" needs an IPv6 host, which stock qmail-remote cannot do\n"
        "\n# route 2: relay \"auth\"\n"
        "# not written: relay \"auth\" needs SMTP AUTH, TLS \"encrypt\", which stock "
        "qmail-remote cannot do\n"
        "\n# route 3: relay \"mx\"\n"
        "# not written: relay \"mx\" needs an MX lookup (\"mx\": true), which stock "
        "qmail-remote cannot do\n"
        "\n# route 4: relay \"may\"\n"
        "d.example:relay.example.net:25\n"
        "\n# route 5: relay \"nosuch\"\n"
        "# not written: relay \"nosuch\" is not defined\n"
        "\n# default route: every other domain through relay \"auth\"\n"
        "# not written: relay \"auth\" needs SMTP AUTH, TLS \"encrypt\", which stock "
        "qmail-remote cannot do\n");
}

TEST_CASE("smtproutes and tcp.smtp start with the header as comments, LF only", "[qmail]") {
  EmitContext context = Bare();
  context.header_template = "Generated by {tool} from {policy}: {file} for {target}.\n";
  Policy policy = MakePolicy({kClean}, {MakeRoute({"gmail.com"}, "clean")});
  policy.origins.push_back(MakeOrigin("web", {"192.0.2.5"}));
  std::vector<OutputFile> files = EmitQmail(policy, context);
  REQUIRE(files.size() == 2);
  CHECK(files[0].name == "smtproutes");
  CHECK(files[0].content.starts_with(
      "# Generated by mtaroute from p.json: smtproutes for qmail.\n\n# route 1"));
  CHECK(files[1].name == "tcp.smtp");
  CHECK(files[1].content.starts_with(
      "# Generated by mtaroute from p.json: tcp.smtp for qmail.\n\n# loopback"));
  for (const OutputFile& file : files) {
    INFO(file.name);
    CHECK_FALSE(file.secret);
    CHECK_FALSE(file.postmap);
    CHECK(file.content.find('\r') == std::string::npos);
    CHECK(file.content.back() == '\n');
    // No spaces in entries; a '#' only at the start of a line.
    std::size_t start = 0;
    while (start < file.content.size()) {
      std::size_t end = file.content.find('\n', start);
      std::string line = file.content.substr(start, end - start);
      start = end + 1;
      if (line.empty() || line.front() == '#') continue;
      INFO(line);
      CHECK(line.find_first_of(" \t#") == std::string::npos);
    }
  }
}

TEST_CASE("tcp.smtp: loopback, each origin's patterns, then :allow", "[qmail]") {
  struct Case {
    std::string name;
    std::vector<Origin> origins;
    std::string expected_body;  // between the loopback rule and the closing :allow
  };
  const std::string relay = ":allow,RELAYCLIENT=\"\"\n";
  const std::vector<Case> cases = {
      {"prefixes, ranges and hosts",
       {MakeOrigin("web", {"192.0.2.16/28", "198.51.100.0/24", "10.16.0.0/12", "203.0.113.7"})},
       "\n# origin \"web\"\n# 192.0.2.16/28\n192.0.2.16-31" + relay +
           "# 198.51.100.0/24\n198.51.100." + relay + "# 10.16.0.0/12\n10.16-31." + relay +
           "203.0.113.7" + relay},
      {"a /8, a /9, a /31 and a /32",
       {MakeOrigin("a", {"11.0.0.0/8", "12.128.0.0/9", "192.0.2.254/31", "192.0.2.9/32"})},
       "\n# origin \"a\"\n# 11.0.0.0/8\n11." + relay + "# 12.128.0.0/9\n12.128-255." + relay +
           "# 192.0.2.254/31\n192.0.2.254-255" + relay + "192.0.2.9" + relay},
      {"covered and repeated networks are written once, the others say why",
       {MakeOrigin("one", {"10.1.0.0/16", "192.0.2.5"}),
        MakeOrigin("two", {"10.0.0.0/8", "192.0.2.5", "127.0.0.1"})},
       "\n# origin \"one\"\n# 10.1.0.0/16: covered by another entry\n192.0.2.5" + relay +
           "\n# origin \"two\"\n# 10.0.0.0/8\n10." + relay +
           "# 192.0.2.5: covered by another entry\n# 127.0.0.1: covered by another entry\n"},
      {"IPv6 networks are never written",
       {MakeOrigin("v6", {"2001:db8::/32", "192.0.2.0/24"})},
       "\n# origin \"v6\"\n# not written: 2001:db8::/32 is IPv6, which tcp.smtp cannot hold\n"
       "# 192.0.2.0/24\n192.0.2." +
           relay},
  };
  const std::string head =
      "\n# loopback: programs on the relay itself\n# 127.0.0.0/8\n127." + relay;
  const std::string tail = "\n# every other client: may connect, may not relay\n:allow\n";
  for (const Case& test : cases) {
    INFO(test.name);
    Policy policy = MakePolicy({}, {});
    policy.origins = test.origins;
    CHECK(RenderTcpSmtp(policy, Bare()) == head + test.expected_body + tail);
  }
}

TEST_CASE("tcp.smtp: an origin covering loopback takes its place", "[qmail]") {
  Policy policy = MakePolicy({}, {});
  policy.origins.push_back(MakeOrigin("all", {"0.0.0.0/1"}));
  CHECK(RenderTcpSmtp(policy, Bare()) ==
        "\n# loopback: programs on the relay itself\n# 127.0.0.0/8: covered by another entry\n"
        "\n# origin \"all\"\n# 0.0.0.0/1\n0-127.:allow,RELAYCLIENT=\"\"\n"
        "\n# every other client: may connect, may not relay\n:allow\n");
}

TEST_CASE("gen qmail makes tcp.smtp only when the policy has origins", "[qmail]") {
  Policy policy = MakePolicy({kClean}, {MakeRoute({"gmail.com"}, "clean")});
  std::vector<OutputFile> files = EmitQmail(policy, Bare());
  REQUIRE(files.size() == 1);
  CHECK(files[0].name == "smtproutes");
}

TEST_CASE("install steps cover only what changed", "[qmail]") {
  const std::string sending =
      "# On the qmail server that sends through the relays, as root (qmail-remote reads\n"
      "# control/smtproutes at each delivery: no restart):\n";
  const std::string relay =
      "# On each relay server (qmail-smtpd under tcpserver -x /etc/tcp.smtp.cdb), as root;\n"
      "# tcpserver reads the compiled rules at each connection: no restart:\n";
  const std::string tcprules = "tcprules /etc/tcp.smtp.cdb /etc/tcp.smtp.tmp < /etc/tcp.smtp\n";
  struct Case {
    std::vector<std::string> changed;
    std::string out_dir;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"smtproutes"},
       "out/",
       sending + "install -m 0644 out/smtproutes /var/qmail/control/smtproutes.new\n"
                 "mv -f /var/qmail/control/smtproutes.new /var/qmail/control/smtproutes\n"},
      {{"tcp.smtp"},
       "/srv/my out",
       relay + "install -m 0644 '/srv/my out/tcp.smtp' /etc/tcp.smtp\n" + tcprules},
      {{"smtproutes", "tcp.smtp"},
       "o",
       sending +
           "install -m 0644 o/smtproutes /var/qmail/control/smtproutes.new\n"
           "mv -f /var/qmail/control/smtproutes.new /var/qmail/control/smtproutes\n\n" +
           relay + "install -m 0644 o/tcp.smtp /etc/tcp.smtp\n" + tcprules},
      {{"smtproutes"}, "/var/qmail/control/", sending + "# nothing to do: written in place\n"},
      {{"tcp.smtp"}, "/etc", relay + tcprules},
      {{}, "out", ""},
  };
  for (const Case& test : cases) {
    INFO(test.out_dir << " " << test.changed.size());
    CHECK(RenderQmailInstallSteps(test.changed, test.out_dir) == test.expected);
  }
}

}  // namespace
}  // namespace mtaroute
