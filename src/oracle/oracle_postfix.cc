// The oracle's readers for the Postfix files: transport, main.cf, sasl_passwd, tls_policy and
// mynetworks. Each expected entry is computed from the model here, following FORMATS.md, not
// with the emitters' helpers. Passwords are never echoed in a finding.
#include <map>

#include <fmt/format.h>

#include "oracle/oracle_internal.h"
#include "util/text.h"

namespace mtaroute::oracle {
namespace {

struct Expected {
  std::string value;
  bool required = true;
};

// transport: `d` (and `.d` with subdomains) -> smtp:NEXTHOP, or smtp: for "direct", which is
// needed only to bypass a relayhost. A domain stands in one route (lint); the first wins.
std::map<std::string, Expected> TransportEntries(const Policy& policy) {
  std::map<std::string, Expected> expected;
  for (const Route& route : policy.routes) {
    std::string value;
    if (route.relay == kDirect) {
      value = "smtp:";
    } else if (const Relay* relay = policy.FindRelay(route.relay)) {
      value = "smtp:" + ExpectedPostfixNexthop(*relay);
    } else {
      continue;
    }
    bool required = route.relay != kDirect || policy.default_route != kDirect;
    for (const RouteDomain& domain : route.domains) {
      std::string name(domain.name);
      expected.emplace(name, Expected{value, required});
      if (route.subdomains) expected.emplace("." + name, Expected{value, required});
    }
  }
  return expected;
}

void ReportMissing(const std::map<std::string, Expected>& expected,
                   const std::set<std::string>& seen, std::string_view what, Report& report) {
  for (const auto& [key, entry] : expected) {
    if (entry.required && !seen.count(key)) {
      report.File(fmt::format("{} {} is missing", what, Q(key)));
    }
  }
}

std::vector<const Relay*> UsedRelays(const Policy& policy) {
  std::vector<const Relay*> relays;
  for (const std::string& name : UsedRelayNames(policy)) relays.push_back(policy.FindRelay(name));
  return relays;
}

}  // namespace

void CheckTransport(const Policy& policy, std::string_view content, Report& report) {
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::map<std::string, Expected> expected = TransportEntries(policy);
  std::set<std::string> seen;
  for (const TableEntry& entry : ReadPostfixTable(lines, report, false)) {
    std::string key(entry.key);
    if (key == "*") {
      report.At(entry.line, "catch-all key \"*\": it also matches local domains; a default "
                            "route belongs in relayhost");
      continue;
    }
    std::string_view domain = key.front() == '.' ? entry.key.substr(1) : entry.key;
    if (!IsLowerDomain(domain, true)) {
      report.At(entry.line, fmt::format("key {} is not a lower-case domain or .domain", Q(key)));
      continue;
    }
    if (!seen.insert(key).second) {
      report.At(entry.line, fmt::format("key {} again: postmap keeps the first", Q(key)));
      continue;
    }
    if (!entry.value.starts_with("smtp:")) {
      report.At(entry.line, fmt::format("value {} does not name the smtp transport explicitly",
                                        Q(entry.value)));
      continue;
    }
    std::string_view nexthop = entry.value.substr(5);
    if (std::string why = nexthop.empty() ? "" : CheckPostfixNexthopSyntax(nexthop);
        !why.empty()) {
      report.At(entry.line, fmt::format("nexthop {} has {}", Q(nexthop), why));
      continue;
    }
    auto it = expected.find(key);
    if (it == expected.end()) {
      report.At(entry.line, fmt::format("key {} is not a routed domain (nor the .domain of a "
                                        "route with subdomains)",
                                        Q(key)));
    } else if (entry.value != it->second.value) {
      report.At(entry.line, fmt::format("key {} goes to {}; the policy routes it to {}", Q(key),
                                        Q(entry.value), Q(it->second.value)));
    }
  }
  ReportMissing(expected, seen, "transport entry", report);
}

void CheckMainCf(const Policy& policy, const EmitContext& context, std::string_view content,
                 Report& report) {
  std::string dir = WithoutTrailingSlash(context.config_dir);
  auto path = [&](std::string_view file) { return JoinPath(dir, file); };
  auto map = [&](std::string_view file) { return context.table_type + ":" + path(file); };
  bool auth = false, tls = false, verify = false, dane = false;
  for (const Relay* relay : UsedRelays(policy)) {
    auth = auth || relay->auth.has_value();
    tls = tls || relay->tls.has_value();
    verify = verify || relay->tls == TlsLevel::kVerify || relay->tls == TlsLevel::kSecure;
    dane = dane || relay->tls == TlsLevel::kDane;
  }
  std::map<std::string, Expected> expected;
  expected["transport_maps"] = {map("transport"), true};
  const Relay* default_relay = policy.FindRelay(policy.default_route);
  expected["relayhost"] = {default_relay ? ExpectedPostfixNexthop(*default_relay) : "",
                           default_relay != nullptr};
  if (auth) {
    expected["smtp_sasl_auth_enable"] = {"yes", true};
    expected["smtp_sasl_password_maps"] = {map("sasl_passwd"), true};
    expected["smtp_sasl_security_options"] = {"noanonymous", true};
  }
  if (tls) expected["smtp_tls_policy_maps"] = {map("tls_policy"), true};
  if (verify) expected["smtp_tls_CApath"] = {"/etc/ssl/certs", false};
  if (dane) expected["smtp_dns_support_level"] = {"dnssec", false};
  if (!policy.origins.empty()) expected["mynetworks"] = {path("mynetworks"), true};

  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::set<std::string> seen;
  for (const Line& line : lines) {
    std::string_view text = line.text;
    if (!line.clean || text.empty() || text.front() == '#') continue;
    std::size_t name_end = text.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    std::string name(text.substr(0, name_end));
    std::string_view rest = name_end == std::string_view::npos ? "" : text.substr(name_end);
    std::string_view value;
    if (rest == " =") {
      value = "";
    } else if (rest.starts_with(" = ") && rest.size() > 3 && rest[3] != ' ' && rest.back() != ' ') {
      value = rest.substr(3);
    } else {
      report.At(line.number, fmt::format("not a `name = value` setting or a whole-line comment: "
                                         "{}",
                                         Q(text)));
      continue;
    }
    if (name.empty()) {
      report.At(line.number, fmt::format("a setting without a name: {}", Q(text)));
      continue;
    }
    if (!seen.insert(name).second) {
      report.At(line.number, fmt::format("{} is set twice (the last wins)", name));
      continue;
    }
    auto it = expected.find(name);
    if (it == expected.end()) {
      report.At(line.number, fmt::format("setting {} is not one this policy needs", Q(name)));
    } else if (value != it->second.value) {
      report.At(line.number, fmt::format("{} = {}; the policy needs {}", name, Q(value),
                                         Q(it->second.value)));
    }
  }
  ReportMissing(expected, seen, "setting", report);
}

void CheckSaslPasswd(const Policy& policy, const EmitContext& context, std::string_view content,
                     Report& report) {
  // nexthop -> the "user:password" values of the used relays with auth that share it.
  std::map<std::string, std::set<std::string>> allowed;
  for (const Relay* relay : UsedRelays(policy)) {
    if (!relay->auth) continue;
    auto password = context.passwords.find(relay->name);
    if (password == context.passwords.end()) continue;  // not read: no entry may be written
    allowed[ExpectedPostfixNexthop(*relay)].insert(relay->auth->username + ":" +
                                                   password->second);
  }
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::set<std::string> seen;
  for (const TableEntry& entry : ReadPostfixTable(lines, report, true)) {
    std::string key(entry.key);
    if (std::string why = CheckPostfixNexthopSyntax(key); !why.empty()) {
      report.At(entry.line, fmt::format("key {} is not a nexthop: it has {}", Q(key), why));
      continue;
    }
    if (!seen.insert(key).second) {
      report.At(entry.line, fmt::format("key {} again: postmap keeps the first", Q(key)));
      continue;
    }
    std::size_t colon = entry.value.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        entry.value.substr(0, colon).find(' ') != std::string_view::npos) {
      report.At(entry.line, "value is not `user:password` (user name without ':' or spaces)");
      continue;
    }
    auto it = allowed.find(key);
    if (it == allowed.end()) {
      report.At(entry.line, fmt::format("key {} is not the nexthop of a used relay with auth "
                                        "whose password was read",
                                        Q(key)));
    } else if (!it->second.count(std::string(entry.value))) {
      report.At(entry.line, fmt::format("the credentials for {} are not the user name and "
                                        "password of its relay",
                                        Q(key)));
    }
  }
  for (const auto& [key, values] : allowed) {
    if (!seen.count(key)) report.File(fmt::format("no credentials for nexthop {}", Q(key)));
  }
}

void CheckTlsPolicy(const Policy& policy, std::string_view content, Report& report) {
  std::map<std::string, std::set<std::string>> allowed;
  for (const Relay* relay : UsedRelays(policy)) {
    if (relay->tls) allowed[ExpectedPostfixNexthop(*relay)].insert(TlsLevelName(*relay->tls));
  }
  static const std::set<std::string_view> kLevels = {
      "none", "may", "encrypt", "dane", "dane-only", "fingerprint", "verify", "secure"};
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::set<std::string> seen;
  for (const TableEntry& entry : ReadPostfixTable(lines, report, false)) {
    std::string key(entry.key);
    if (std::string why = CheckPostfixNexthopSyntax(key); !why.empty()) {
      report.At(entry.line, fmt::format("key {} is not a nexthop: it has {}", Q(key), why));
      continue;
    }
    if (!seen.insert(key).second) {
      report.At(entry.line, fmt::format("key {} again: postmap keeps the first", Q(key)));
      continue;
    }
    if (!kLevels.count(entry.value)) {
      report.At(entry.line, fmt::format("{} is not a TLS security level", Q(entry.value)));
      continue;
    }
    auto it = allowed.find(key);
    if (it == allowed.end()) {
      report.At(entry.line, fmt::format("key {} is not the nexthop of a used relay with \"tls\"",
                                        Q(key)));
    } else if (!it->second.count(std::string(entry.value))) {
      report.At(entry.line, fmt::format("{} gets level {}; the policy says {}", Q(key),
                                        entry.value, *it->second.begin()));
    }
  }
  for (const auto& [key, levels] : allowed) {
    if (!seen.count(key)) report.File(fmt::format("no TLS level for nexthop {}", Q(key)));
  }
}

void CheckMynetworks(const Policy& policy, std::string_view content, Report& report) {
  std::vector<Net> loopback = {*ParseCanonicalNet("127.0.0.0/8", true, nullptr),
                               *ParseCanonicalNet("::1/128", true, nullptr)};
  std::vector<Net> allowed = loopback;
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& entry : origin.networks) allowed.push_back(FromModel(entry.network));
  }
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::vector<Net> entries;
  for (const Line& line : lines) {
    std::string_view text = line.text;
    if (!line.clean || text.empty() || text.front() == '#') continue;
    std::string spelled;
    bool bracketed = text.front() == '[';
    if (bracketed) {
      std::size_t close = text.find(']');
      if (close == std::string_view::npos ||
          (close + 1 < text.size() && text[close + 1] != '/')) {
        report.At(line.number, fmt::format("not `[IPv6]/prefix`: {}", Q(text)));
        continue;
      }
      spelled = std::string(text.substr(1, close - 1)) + std::string(text.substr(close + 1));
    } else {
      spelled = std::string(text);
    }
    std::string error;
    std::optional<Net> net = ParseCanonicalNet(spelled, true, &error);
    if (!net) {
      report.At(line.number, fmt::format("{} is not one network: {}", Q(text), error));
      continue;
    }
    if (net->v6 != bracketed) {
      report.At(line.number, net->v6 ? fmt::format("IPv6 network {} without brackets (smtpd "
                                                   "answers 451)",
                                                   Q(text))
                                     : fmt::format("IPv4 network {} in brackets", Q(text)));
      continue;
    }
    bool from_policy = false;
    for (const Net& a : allowed) from_policy = from_policy || NetContains(a, *net);
    if (!from_policy) {
      report.At(line.number, fmt::format("{} is neither loopback nor inside an origin network",
                                         Q(text)));
      continue;
    }
    for (const Net& e : entries) {
      if (e == *net) report.At(line.number, fmt::format("{} is listed twice", Q(text)));
    }
    entries.push_back(*net);
  }
  for (const Net& need : allowed) {
    bool covered = false;
    for (const Net& e : entries) covered = covered || NetContains(e, need);
    if (!covered) report.File(fmt::format("{} is not covered by any entry", need.ToString()));
  }
}

}  // namespace mtaroute::oracle
