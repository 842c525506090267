// Unit tests for the Postfix emitter (emit/postfix.h) on small policies built here: nexthop
// spellings (IPv6, mx), transport layout (subdomains, notes, sorting, each key once, direct
// under either default, never `*`), main.cf settings, sasl_passwd and its mask, tls_policy,
// mynetworks (bracketing, covering), the file list and the install steps. The real postmap,
// postconf and Postfix check the same outputs in tests/integration/test_postfix_*.py.

#include "emit/postfix.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "model_builders.h"

namespace mtaroute {
namespace {

Relay WithAuth(Relay relay, const std::string& user, std::optional<TlsLevel> tls = {}) {
  relay.auth = RelayAuth{user, "/dev/null", "", ""};
  relay.tls = tls;
  return relay;
}

Relay WithTls(Relay relay, TlsLevel tls) {
  relay.tls = tls;
  return relay;
}

Relay WithMx(Relay relay) {
  relay.mx = true;
  return relay;
}

// An empty header template renders no header: the tests see the entries alone.
EmitContext Bare() {
  EmitContext context;
  context.header_template = "";
  context.main_cf_template = "";
  context.policy_file = "p.json";
  return context;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The `name = value` lines of a main.cf, without comments and blank lines.
std::vector<std::string> SettingLines(const std::string& main_cf) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(main_cf)) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

const Relay kClean = MakeRelay("clean", "relay.example.net", 587);
const Relay kSmart = MakeRelay("smart", "smtp.provider.example", 587);
const Relay kV6 = MakeRelay("v6", "2001:db8::1", 587, Host::Kind::kIpv6);
const Relay kV4 = MakeRelay("v4", "192.0.2.1", 25, Host::Kind::kIpv4);
const Relay kMx = WithMx(MakeRelay("mx", "relays.example.org", 25));

TEST_CASE("nexthop: brackets, IPv6 and mx", "[postfix]") {
  struct Case {
    Relay relay;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {kClean, "[relay.example.net]:587"},
      {kV4, "[192.0.2.1]:25"},
      {kV6, "[ipv6:2001:db8::1]:587"},
      {kMx, "relays.example.org:25"},
      // lint rejects mx on an address; the emitter still writes a usable nexthop
      {WithMx(MakeRelay("bad", "192.0.2.9", 2525, Host::Kind::kIpv4)), "[192.0.2.9]:2525"},
  };
  for (const Case& c : cases) {
    INFO(c.relay.name);
    CHECK(PostfixNexthop(c.relay) == c.expected);
  }
}

TEST_CASE("transport: groups, keys and values", "[postfix]") {
  struct Case {
    std::string name;
    Policy policy;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"subdomains as d and .d, sorted, note above the entries",
       MakePolicy({kClean},
                  {MakeRoute({"googlemail.com", "gmail.com"}, "clean", true, "Gmail: 550-5.7.1")}),
       "\n# route 1: relay \"clean\", with subdomains\n# note: Gmail: 550-5.7.1\n"
       "gmail.com smtp:[relay.example.net]:587\n.gmail.com smtp:[relay.example.net]:587\n"
       "googlemail.com smtp:[relay.example.net]:587\n"
       ".googlemail.com smtp:[relay.example.net]:587\n"},
      {"direct under a relay default bypasses relayhost with smtp:, the default has no entry",
       MakePolicy({kSmart},
                  {MakeRoute({"partner.example"}, "direct"),
                   MakeRoute({"intern.example"}, "direct", true)},
                  "smart"),
       "\n# route 1: direct (normal MX delivery, not through the relayhost)\n"
       "partner.example smtp:\n"
       "\n# route 2: direct (normal MX delivery, not through the relayhost), with subdomains\n"
       "intern.example smtp:\n.intern.example smtp:\n"},
      {"direct under a direct default is written too (it may sit inside a subdomain route)",
       MakePolicy({kClean}, {MakeRoute({"gmail.com"}, "clean", true),
                             MakeRoute({"corp.gmail.com"}, "direct")}),
       "\n# route 1: relay \"clean\", with subdomains\n"
       "gmail.com smtp:[relay.example.net]:587\n.gmail.com smtp:[relay.example.net]:587\n"
       "\n# route 2: direct (normal MX delivery)\ncorp.gmail.com smtp:\n"},
      {"IPv6, IPv4 and mx relays",
       MakePolicy({kV6, kV4, kMx}, {MakeRoute({"a.example"}, "v6"), MakeRoute({"b.example"}, "v4"),
                                    MakeRoute({"c.example"}, "mx")}),
       "\n# route 1: relay \"v6\"\na.example smtp:[ipv6:2001:db8::1]:587\n"
       "\n# route 2: relay \"v4\"\nb.example smtp:[192.0.2.1]:25\n"
       "\n# route 3: relay \"mx\"\nc.example smtp:relays.example.org:25\n"},
      {"each key once: the first route keeps it (what postmap would do, without the warning)",
       MakePolicy({kClean, kV4}, {MakeRoute({"x.example", "x.example"}, "clean"),
                                  MakeRoute({"x.example", "y.example"}, "v4")}),
       "\n# route 1: relay \"clean\"\nx.example smtp:[relay.example.net]:587\n"
       "\n# route 2: relay \"v4\"\ny.example smtp:[192.0.2.1]:25\n"},
      {"an unknown relay (lint's error) or an empty route gives no entry",
       MakePolicy({kClean}, {MakeRoute({"x.example"}, "nosuch"), MakeRoute({}, "clean")}), ""},
      {"a control character in a note cannot end the comment",
       MakePolicy({kClean}, {MakeRoute({"x.example"}, "clean", false, "a\nb")}),
       "\n# route 1: relay \"clean\"\n# note: a?b\nx.example smtp:[relay.example.net]:587\n"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string text = RenderTransport(c.policy, Bare());
    CHECK(text == c.expected);
    for (const std::string& line : Lines(text)) {
      CHECK(line.rfind('*', 0) == std::string::npos);  // never a `*` key
      if (!line.empty() && line[0] != '#') CHECK(line.find('#') == std::string::npos);
    }
  }
}

TEST_CASE("main.cf: only the settings the policy needs", "[postfix]") {
  struct Case {
    std::string name;
    Policy policy;
    std::vector<std::string> expected;
  };
  const Relay auth_encrypt = WithAuth(kClean, "mailer", TlsLevel::kEncrypt);
  const std::vector<Case> cases = {
      {"direct default: an empty relayhost, nothing else",
       MakePolicy({kClean}, {MakeRoute({"gmail.com"}, "clean")}),
       {"transport_maps = hash:/etc/postfix/transport", "relayhost ="}},
      {"relay default with auth and encrypt",
       MakePolicy({WithAuth(kSmart, "u", TlsLevel::kEncrypt)}, {}, "smart"),
       {"transport_maps = hash:/etc/postfix/transport", "relayhost = [smtp.provider.example]:587",
        "smtp_sasl_auth_enable = yes", "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
        "smtp_sasl_security_options = noanonymous",
        "smtp_tls_policy_maps = hash:/etc/postfix/tls_policy"}},
      {"an unused relay's auth and tls need nothing",
       MakePolicy({auth_encrypt, kV4}, {MakeRoute({"x.example"}, "v4")}),
       {"transport_maps = hash:/etc/postfix/transport", "relayhost ="}},
      {"verify needs the system CAs, dane needs DNSSEC, mx default without brackets",
       MakePolicy({WithTls(kMx, TlsLevel::kVerify), WithTls(kV4, TlsLevel::kDane)},
                  {MakeRoute({"x.example"}, "v4")}, "mx"),
       {"transport_maps = hash:/etc/postfix/transport", "relayhost = relays.example.org:25",
        "smtp_tls_policy_maps = hash:/etc/postfix/tls_policy", "smtp_tls_CApath = /etc/ssl/certs",
        "smtp_dns_support_level = dnssec"}},
      {"origins: the relay side's mynetworks, last",
       MakePolicy({}, {}, "direct", {MakeOrigin("web", {"192.0.2.0/24"})}),
       {"transport_maps = hash:/etc/postfix/transport",
        "relayhost =", "mynetworks = /etc/postfix/mynetworks"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(SettingLines(RenderMainCf(c.policy, Bare())) == c.expected);
  }
}

TEST_CASE("main.cf: table type, config dir, header and template as comments", "[postfix]") {
  EmitContext context = Bare();
  context.table_type = "lmdb";
  context.config_dir = "/etc/postfix/mtaroute/";
  context.header_template = "made by {tool} from {policy}\n";
  context.main_cf_template = "merge {file} into main.cf\n";
  const Policy policy =
      MakePolicy({WithAuth(kClean, "u", TlsLevel::kEncrypt)}, {MakeRoute({"gmail.com"}, "clean")},
                 "direct", {MakeOrigin("web", {"192.0.2.1"})});
  const std::string text = RenderMainCf(policy, context);
  CHECK(text.rfind("# made by mtaroute from p.json\n#\n# merge main.cf into main.cf\n", 0) == 0);
  const std::vector<std::string> settings = SettingLines(text);
  CHECK(settings[0] == "transport_maps = lmdb:/etc/postfix/mtaroute/transport");
  CHECK(std::count(settings.begin(), settings.end(),
                   "smtp_sasl_password_maps = lmdb:/etc/postfix/mtaroute/sasl_passwd") == 1);
  CHECK(settings.back() == "mynetworks = /etc/postfix/mtaroute/mynetworks");
}

TEST_CASE("sasl_passwd: nexthop keys, passwords kept whole, one entry per nexthop", "[postfix]") {
  EmitContext context = Bare();
  context.passwords = {{"clean", "pa:ss word#1"}, {"mx", "m"}, {"twin", "t"}, {"v6", "6"}};
  const Relay twin = WithAuth(MakeRelay("twin", "relay.example.net", 587), "other");
  const Policy policy = MakePolicy(
      {WithAuth(kClean, "mailer"), WithAuth(kMx, "mxuser"), twin, WithAuth(kV6, "u@example.org"),
       WithAuth(kV4, "unused"), WithAuth(kSmart, "nopassword")},
      {MakeRoute({"a.example"}, "clean"), MakeRoute({"b.example"}, "mx"),
       MakeRoute({"c.example"}, "twin"), MakeRoute({"d.example"}, "v6"),
       MakeRoute({"e.example"}, "smart")});
  const std::string text = RenderSaslPasswd(policy, context);
  CHECK(text ==
        "\n# relay \"clean\"\n[relay.example.net]:587 mailer:pa:ss word#1\n"
        "\n# relay \"mx\"\nrelays.example.org:25 mxuser:m\n"
        "\n# relay \"smart\"\n# password not read\n"
        "\n# relay \"twin\"\n# relay \"twin\": same nexthop [relay.example.net]:587 as relay "
        "\"clean\" above; Postfix uses one entry per nexthop\n"
        "\n# relay \"v6\"\n[ipv6:2001:db8::1]:587 u@example.org:6\n");
  CHECK(MaskSaslPasswd(text).find("pa:ss") == std::string::npos);
  CHECK(MaskSaslPasswd(text).find("[relay.example.net]:587 mailer:********\n") !=
        std::string::npos);
}

TEST_CASE("sasl_passwd mask: every password, also in hand-edited lines", "[postfix]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"[h]:587 user:pass word\n", "[h]:587 user:********\n"},
      {"[h]:587\tuser:a:b:c", "[h]:587\tuser:********"},
      {"[h]:587   user:x\n# comment: kept\n\n", "[h]:587   user:********\n# comment: kept\n\n"},
      {"[h]:587 nocolon\n", "[h]:587 ********\n"},
      {"[h]:587 user:x\n  continued secret\n", "[h]:587 user:********\n ********\n"},
      // No white space: no key to keep, and the whole line may be "key:user:password".
      {"lonelykey\n", "********\n"},
      {"[h]:587:user:secret\n", "********\n"},
      {"", ""},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(MaskSaslPasswd(c.text) == c.expected);
  }
}

TEST_CASE("tls_policy: the level per used relay with tls", "[postfix]") {
  const Policy policy =
      MakePolicy({WithTls(kClean, TlsLevel::kEncrypt), WithTls(kMx, TlsLevel::kSecure),
                  WithTls(kV6, TlsLevel::kNone), WithTls(kV4, TlsLevel::kVerify), kSmart},
                 {MakeRoute({"a.example"}, "clean"), MakeRoute({"b.example"}, "mx"),
                  MakeRoute({"c.example"}, "v6"), MakeRoute({"d.example"}, "smart")});
  CHECK(RenderTlsPolicy(policy, Bare()) ==
        "\n# relay \"clean\"\n[relay.example.net]:587 encrypt\n"
        "\n# relay \"mx\"\nrelays.example.org:25 secure\n"
        "\n# relay \"v6\"\n[ipv6:2001:db8::1]:587 none\n");
  const Policy secure_ip =
      MakePolicy({WithTls(kV4, TlsLevel::kSecure)}, {MakeRoute({"a.example"}, "v4")});
  CHECK(RenderTlsPolicy(secure_ip, Bare()) ==
        "\n# relay \"v4\"\n"
        "# secure matches the certificate against the nexthop name: with an IP address Postfix\n"
        "# defers every message (hostname mismatch); use the host name or \"verify\"\n"
        "[192.0.2.1]:25 secure\n");
}

TEST_CASE("mynetworks: loopback, origins, IPv6 bracketed, covered networks dropped", "[postfix]") {
  struct Case {
    std::string name;
    std::vector<Origin> origins;
    std::string expected;
  };
  const std::string loopback =
      "\n# loopback: Postfix no longer adds it once mynetworks is set\n127.0.0.0/8\n[::1]/128\n";
  const std::vector<Case> cases = {
      {"IPv4 and IPv6, hosts with their prefix",
       {MakeOrigin("web", {"192.0.2.5", "2001:db8::/32", "2001:db8:1::7"})},
       loopback + "\n# origin \"web\"\n192.0.2.5/32\n[2001:db8::]/32\n"},
      {"a host inside a network of the same origin, in either order",
       {MakeOrigin("a", {"198.51.100.7", "198.51.100.0/24", "203.0.113.0/24", "203.0.113.9"})},
       loopback + "\n# origin \"a\"\n198.51.100.0/24\n203.0.113.0/24\n"},
      {"across origins and loopback: each network once, under the first that lists it",
       {MakeOrigin("a", {"192.0.2.0/24", "127.0.0.2"}),
        MakeOrigin("b", {"192.0.2.128/25", "::1", "10.0.0.0/8"}),
        MakeOrigin("c", {"192.0.2.0/24"})},
       loopback + "\n# origin \"a\"\n192.0.2.0/24\n\n# origin \"b\"\n10.0.0.0/8\n"
                  "\n# origin \"c\"\n# (every network of it is covered by an entry above)\n"},
      {"a wider origin network than loopback's replaces it",
       {MakeOrigin("all", {"0.0.0.0/0"})},
       "\n# loopback: Postfix no longer adds it once mynetworks is set\n[::1]/128\n"
       "\n# origin \"all\"\n0.0.0.0/0\n"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(RenderMynetworks(MakePolicy({}, {}, "direct", c.origins), Bare()) == c.expected);
  }
}

TEST_CASE("file list: fixed order, secret, mask and postmap flags", "[postfix]") {
  struct Case {
    std::string name;
    Policy policy;
    std::string table_type;
    std::vector<std::string> files;
    bool postmap;
  };
  const std::vector<Case> cases = {
      {"everything",
       MakePolicy({WithAuth(kClean, "u", TlsLevel::kEncrypt)}, {MakeRoute({"x.example"}, "clean")},
                  "direct", {MakeOrigin("o", {"192.0.2.1"})}),
       "hash",
       {"transport", "main.cf", "sasl_passwd", "tls_policy", "mynetworks"},
       true},
      {"no auth, tls or origins; texthash needs no postmap",
       MakePolicy({kClean}, {MakeRoute({"x.example"}, "clean")}),
       "texthash",
       {"transport", "main.cf"},
       false},
      {"auth of an unused relay makes no sasl_passwd",
       MakePolicy({WithAuth(kClean, "u", TlsLevel::kEncrypt), kV4},
                  {MakeRoute({"x.example"}, "v4")}),
       "cdb",
       {"transport", "main.cf"},
       true},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    EmitContext context = Bare();
    context.table_type = c.table_type;
    const std::vector<OutputFile> files = EmitPostfix(c.policy, context);
    std::vector<std::string> names;
    for (const OutputFile& file : files) {
      names.push_back(file.name);
      const bool table = file.name != "main.cf" && file.name != "mynetworks";
      CHECK(file.postmap == (table && c.postmap));
      CHECK(file.secret == (file.name == "sasl_passwd"));
      CHECK((file.mask != nullptr) == (file.name == "sasl_passwd"));
      CHECK(file.content.back() == '\n');
    }
    CHECK(names == c.files);
  }
}

TEST_CASE("install steps: exact commands for what changed", "[postfix]") {
  const std::string main_cf =
      "# header\n\ntransport_maps = hash:/etc/postfix/transport\nrelayhost =\n"
      "smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
      "mynetworks = /etc/postfix/mynetworks\n";
  struct Case {
    std::string name;
    std::vector<std::string> changed;
    std::string out_dir;
    std::string config_dir;
    std::string table_type;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"a changed table only",
       {"transport"},
       "out",
       "/etc/postfix",
       "hash",
       "# On the mail server that sends through the relays, as root:\n"
       "mkdir -p /etc/postfix\ninstall -m 0644 out/transport /etc/postfix/transport\n"
       "postmap hash:/etc/postfix/transport\npostfix reload\n"},
      {"sasl_passwd 0600, lmdb package, odd out dir quoted",
       {"sasl_passwd"},
       "my out/",
       "/etc/postfix",
       "lmdb",
       "# On the mail server that sends through the relays, as root:\n"
       "# lmdb tables need the package postfix-lmdb: apt-get install postfix-lmdb\n"
       "# SMTP AUTH PLAIN and LOGIN need the package libsasl2-modules\n"
       "mkdir -p /etc/postfix\ninstall -m 0600 'my out/sasl_passwd' /etc/postfix/sasl_passwd\n"
       "postmap lmdb:/etc/postfix/sasl_passwd\npostfix reload\n"},
      {"main.cf changed: tables it names are rebuilt, relay side apart",
       {"main.cf"},
       "out",
       "/etc/postfix",
       "hash",
       "# On the mail server that sends through the relays, as root:\n"
       "# SMTP AUTH PLAIN and LOGIN need the package libsasl2-modules\n"
       "postmap hash:/etc/postfix/transport\npostmap hash:/etc/postfix/sasl_passwd\n"
       "postconf -e 'transport_maps = hash:/etc/postfix/transport'\n"
       "postconf -e 'relayhost ='\npostconf -e 'smtp_sasl_auth_enable = yes'\n"
       "postconf -e 'smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd'\n"
       "postfix reload\n\n"
       "# On each relay server, as root (the clients it lets relay):\n"
       "postconf -e 'mynetworks = /etc/postfix/mynetworks'\npostfix reload\n"},
      {"--out is the config dir: nothing to copy; texthash: nothing to compile",
       {"transport", "mynetworks"},
       "/etc/postfix/mtaroute/",
       "/etc/postfix/mtaroute",
       "texthash",
       "# On the mail server that sends through the relays, as root:\npostfix reload\n"
       "\n# On each relay server, as root (the clients it lets relay):\npostfix reload\n"},
      {"nothing changed", {}, "out", "/etc/postfix", "hash", ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    EmitContext context = Bare();
    context.config_dir = c.config_dir;
    context.table_type = c.table_type;
    CHECK(RenderPostfixInstallSteps(c.changed, c.out_dir, context, main_cf) == c.expected);
  }
}

}  // namespace
}  // namespace mtaroute
