// The oracle's readers for the qmail files: control/smtproutes (`key:relay[:port]`, read the
// way qmail-remote reads it) and tcp.smtp (tcprules address patterns, expanded the way
// tcprules 0.88 expands them; see util/net.cc for what was checked on the real program).
#include <algorithm>
#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "oracle/oracle_internal.h"

namespace mtaroute::oracle {
namespace {

struct QmailRoute {
  bool direct = false;  // `key:` (normal MX delivery)
  std::string host;     // the relay field's host, canonical (IPv4 without brackets)
  int port = 25;
  bool required = true;
};

std::map<std::string, QmailRoute> SmtproutesEntries(const Policy& policy) {
  std::map<std::string, QmailRoute> expected;
  for (const Route& route : policy.routes) {
    QmailRoute target;
    if (route.relay == kDirect) {
      target.direct = true;
      target.required = policy.default_route != kDirect;  // only needed to escape the default
    } else if (const Relay* relay = policy.FindRelay(route.relay)) {
      target.host = relay->host.text;
      target.port = relay->port;
    } else {
      continue;
    }
    for (const RouteDomain& domain : route.domains) {
      std::string name(domain.name);
      expected.emplace(name, target);
      if (route.subdomains) expected.emplace("." + name, target);
    }
  }
  if (const Relay* relay = policy.FindRelay(policy.default_route)) {
    expected.emplace("", QmailRoute{false, relay->host.text, relay->port, true});
  }
  return expected;
}

// The relay field after `key:`; error set when it is not `host[:port]` qmail-remote reads.
QmailRoute ParseRelayField(std::string_view field, std::string& error) {
  QmailRoute route;
  if (field.empty()) {
    route.direct = true;
    return route;
  }
  std::string_view host = field;
  std::string_view rest;
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) {
      error = "an unclosed '['";
      return route;
    }
    rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!ParseCanonicalNet(host, false, nullptr) || host.find(':') != std::string_view::npos) {
      error = "brackets around something that is not an IPv4 address";
      return route;
    }
  } else if (std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    rest = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (!rest.empty()) {
    std::optional<int> port = rest.front() == ':' ? ParsePort(rest.substr(1)) : std::nullopt;
    if (!port) {
      error = rest == ":" ? "an empty port (qmail-remote would use port 0)"
                          : "a port that is not 1..65535 (or more ':', e.g. IPv6, which "
                            "qmail-remote cannot reach)";
      return route;
    }
    route.port = *port;
  }
  bool numeric = host.find_first_not_of("0123456789.") == std::string_view::npos;
  if (numeric ? !ParseCanonicalNet(host, false, nullptr) : !IsLowerDomain(host, false, 1)) {
    error = "a relay that is neither an IPv4 address nor a lower-case host name";
    return route;
  }
  route.host = std::string(host);
  return route;
}

std::string Describe(const QmailRoute& route) {
  return route.direct ? "normal MX delivery" : fmt::format("{}:{}", route.host, route.port);
}

}  // namespace

void CheckSmtproutes(const Policy& policy, std::string_view content, Report& report) {
  std::map<std::string, QmailRoute> expected = SmtproutesEntries(policy);
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::set<std::string> seen;
  for (const Line& line : lines) {
    std::string_view text = line.text;
    if (!line.clean || text.empty() || text.front() == '#') continue;
    if (text.find(' ') != std::string_view::npos) {
      report.At(line.number, fmt::format("white space in an entry (qmail keeps a leading one as "
                                         "part of the key): {}",
                                         Q(text)));
      continue;
    }
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      report.At(line.number, fmt::format("not `domain:relay[:port]`: {}", Q(text)));
      continue;
    }
    std::string key(text.substr(0, colon));
    std::string_view domain = key.starts_with(".") ? std::string_view(key).substr(1) : key;
    if (!key.empty() && !IsLowerDomain(domain, true)) {
      report.At(line.number, fmt::format("key {} is not a lower-case domain or .domain", Q(key)));
      continue;
    }
    std::string error;
    QmailRoute written = ParseRelayField(text.substr(colon + 1), error);
    if (!error.empty()) {
      report.At(line.number, fmt::format("{}: {}", Q(text), error));
      continue;
    }
    if (!seen.insert(key).second) {
      report.At(line.number, fmt::format("key {} again: qmail-remote keeps the LAST", Q(key)));
      continue;
    }
    auto it = expected.find(key);
    if (it == expected.end()) {
      report.At(line.number, key.empty() ? std::string("a default route (`:relay`), but the "
                                                       "policy's default is \"direct\"")
                                         : fmt::format("key {} is not a routed domain (nor the "
                                                       ".domain of a route with subdomains)",
                                                       Q(key)));
      continue;
    }
    const QmailRoute& want = it->second;
    if (written.direct != want.direct || written.host != want.host || written.port != want.port) {
      report.At(line.number, fmt::format("key {} goes to {}; the policy says {}", Q(key),
                                         Describe(written), Describe(want)));
    }
  }
  for (const auto& [key, route] : expected) {
    if (route.required && !seen.count(key)) {
      report.File(key.empty() ? std::string("the default route `:relay` is missing")
                              : fmt::format("entry {} is missing", Q(key)));
    }
  }
}

namespace {

struct Interval {
  std::uint64_t low = 0;
  std::uint64_t high = 0;  // inclusive
};

Interval ToInterval(const Net& net) {
  std::uint64_t base = 0;
  for (int i = 0; i < 4; ++i) base = base << 8 | net.bytes[i];
  return {base, base + ((std::uint64_t{1} << (32 - net.prefix)) - 1)};
}

std::vector<Interval> Merge(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.low < b.low; });
  std::vector<Interval> merged;
  for (const Interval& i : intervals) {
    if (!merged.empty() && i.low <= merged.back().high + 1) {
      merged.back().high = std::max(merged.back().high, i.high);
    } else {
      merged.push_back(i);
    }
  }
  return merged;
}

bool Covered(const std::vector<Interval>& merged, const Interval& i) {
  for (const Interval& m : merged) {
    if (m.low <= i.low && i.high <= m.high) return true;
  }
  return false;
}

// A tcprules address: "a.b.c.d" or 1..3 parts then a dot; each part 0..255 without leading
// zeros; the LAST given part may be a range "lo-hi" (lo <= hi). Fills the addresses it
// matches and the cdb keys tcprules makes of it; false when it is not such a pattern.
bool ParseTcprulesAddress(std::string_view text, Interval& matched,
                          std::vector<std::string>& keys) {
  bool prefix = text.ends_with('.');
  if (prefix) text.remove_suffix(1);
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (prefix ? parts.size() > 3 : parts.size() != 4) return false;
  auto number = [](std::string_view s) -> std::optional<int> {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0') ||
        s.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    int v = std::stoi(std::string(s));
    return v <= 255 ? std::optional<int>(v) : std::nullopt;
  };
  std::uint64_t low = 0, high = 0;
  std::string stem;
  int range_low = 0, range_high = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::size_t dash = parts[i].find('-');
    if (dash != std::string_view::npos && i + 1 != parts.size()) return false;
    std::optional<int> lo = number(parts[i].substr(0, dash));
    std::optional<int> hi =
        dash == std::string_view::npos ? lo : number(parts[i].substr(dash + 1));
    if (!lo || !hi || *lo > *hi) return false;
    low = low << 8 | static_cast<std::uint64_t>(*lo);
    high = high << 8 | static_cast<std::uint64_t>(*hi);
    if (i + 1 == parts.size()) {
      range_low = *lo;
      range_high = *hi;
    } else {
      stem += std::string(parts[i]) + ".";
    }
  }
  for (std::size_t i = parts.size(); i < 4; ++i) {
    low = low << 8;
    high = high << 8 | 0xff;
  }
  matched = {low, high};
  for (int v = range_low; v <= range_high; ++v) {
    keys.push_back(stem + std::to_string(v) + (prefix ? "." : ""));
  }
  return true;
}

}  // namespace

void CheckTcpSmtp(const Policy& policy, std::string_view content, Report& report) {
  std::vector<Interval> allowed = {ToInterval(*ParseCanonicalNet("127.0.0.0/8", true, nullptr))};
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& entry : origin.networks) {
      Net net = FromModel(entry.network);
      if (!net.v6) allowed.push_back(ToInterval(net));
    }
  }
  std::vector<Interval> needed = allowed;
  allowed = Merge(allowed);
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, '#', report);
  std::vector<Interval> relaying;
  std::set<std::string> keys_seen;
  for (const Line& line : lines) {
    std::string_view text = line.text;
    if (!line.clean || text.empty() || text.front() == '#') continue;
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      report.At(line.number, fmt::format("not `address:instructions`: {}", Q(text)));
      continue;
    }
    std::string_view address = text.substr(0, colon);
    std::string_view instructions = text.substr(colon + 1);
    std::vector<std::string> keys;
    Interval matched;
    if (address.empty()) {
      keys.push_back("");
      if (instructions != "allow") {
        report.At(line.number, fmt::format("the default rule must be `:allow` (relaying for "
                                           "every client would be an open relay): {}",
                                           Q(text)));
      }
    } else if (!ParseTcprulesAddress(address, matched, keys)) {
      report.At(line.number, fmt::format("{} is not a tcprules IPv4 address, prefix or range",
                                         Q(address)));
      continue;
    } else if (instructions != "allow,RELAYCLIENT=\"\"") {
      report.At(line.number, fmt::format("instructions {} are not `allow,RELAYCLIENT=\"\"`",
                                         Q(instructions)));
    } else if (!Covered(allowed, matched)) {
      report.At(line.number, fmt::format("{} lets addresses outside loopback and the origins "
                                         "relay",
                                         Q(address)));
    } else {
      relaying.push_back(matched);
    }
    for (const std::string& key : keys) {
      if (!keys_seen.insert(key).second) {
        report.At(line.number, fmt::format("cdb key {} again: tcprules keeps the first", Q(key)));
      }
    }
  }
  relaying = Merge(relaying);
  for (const Interval& need : needed) {
    if (!Covered(relaying, need)) {
      Net net;
      for (int i = 0; i < 4; ++i) net.bytes[i] = static_cast<std::uint8_t>(need.low >> (24 - 8 * i));
      int size_bits = 0;
      while ((std::uint64_t{1} << size_bits) < need.high - need.low + 1) ++size_bits;
      net.prefix = 32 - size_bits;
      report.File(fmt::format("{} may not relay: no rule covers it", net.ToString()));
    }
  }
}

}  // namespace mtaroute::oracle
