// Cross-reference and consistency rules over the whole policy.
#include "policy/validate.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

std::vector<std::string> RelayNames(const Policy& policy) {
  std::vector<std::string> names = {std::string(kDirect)};
  for (const Relay& relay : policy.relays) names.push_back(relay.name);
  return names;
}

// At most this many relay names in a hint, and "did you mean" for at most this many unknown
// references: each suggestion compares with every relay name, and a hostile policy may have
// thousands of both.
constexpr std::size_t kHintNames = 10;
constexpr std::size_t kSuggestions = 50;

std::string DefinedRelays(const std::vector<std::string>& names) {
  // names[0] is "direct", which the hint explains on its own.
  std::size_t shown = std::min(names.size() - 1, kHintNames);
  std::string list = fmt::format("{}", fmt::join(names.begin() + 1, names.begin() + 1 + shown,
                                                 ", "));
  if (names.size() - 1 > shown) list += fmt::format(" and {} more", names.size() - 1 - shown);
  return fmt::format("defined relays: {}; \"direct\" means normal MX delivery", list);
}

void CheckRelayReference(const Policy& policy, const std::vector<std::string>& names,
                         const std::string& name, const std::string& pointer,
                         std::size_t& suggestions, Diagnostics& diags) {
  if (name == kDirect || policy.FindRelay(name)) return;
  if (diags.Full()) {
    diags.Error("unknown-relay", pointer, "");  // counted only
    return;
  }
  std::string message = fmt::format("relay {} is not defined", Quote(name));
  if (suggestions < kSuggestions) {
    ++suggestions;
    std::string suggestion = Suggest(name, names);
    if (!suggestion.empty()) message += fmt::format(" (did you mean {}?)", Quote(suggestion));
  }
  diags.Error("unknown-relay", pointer, message,
              policy.relays.empty()
                  ? "define it under \"relays\", or use \"direct\" for normal MX delivery"
                  : DefinedRelays(names));
}

void CheckReferences(const Policy& policy, Diagnostics& diags) {
  std::vector<std::string> names = RelayNames(policy);
  std::size_t suggestions = 0;
  std::set<std::string_view> used;
  for (const Route& route : policy.routes) {
    if (!route.relay.empty()) {
      CheckRelayReference(policy, names, route.relay, route.pointer + "/relay", suggestions,
                          diags);
      used.insert(route.relay);
    }
  }
  if (!policy.default_pointer.empty()) {
    CheckRelayReference(policy, names, policy.default_route, policy.default_pointer,
                        suggestions, diags);
  }
  used.insert(policy.default_route);
  for (const Relay& relay : policy.relays) {
    if (!used.contains(relay.name)) {
      diags
          .Warning("unused-relay", relay.pointer,
                   fmt::format("relay {} is defined but no route or default uses it",
                               Quote(relay.name)),
                   "remove it, or name it in a route's \"relay\" or in \"default\"")
          .at_key = true;
    }
  }
}

// Postfix keeps the first of two transport keys, qmail the last: a domain in two routes
// would be routed differently by the two MTAs, so both places are named.
void CheckDuplicateDomains(const Policy& policy, Diagnostics& diags) {
  for (const RepeatedDomain& repeat : RepeatedDomains(policy)) {
    const Route& route = policy.routes[repeat.route];
    const Route& first = policy.routes[repeat.first_route];
    RouteDomain domain = route.domains[repeat.position];
    std::size_t i = repeat.route;
    if (repeat.first_route == i) {
      diags.Error("duplicate-domain", route.DomainPointer(domain),
                  fmt::format("domain {} is listed twice in route {}", Quote(domain.name), i + 1),
                  "remove one of them");
      continue;
    }
    diags.Error("duplicate-domain", route.DomainPointer(domain),
                fmt::format("domain {} is already routed by route {}; a domain may stand in "
                            "one route only",
                            Quote(domain.name), repeat.first_route + 1),
                "Postfix would use the first route and qmail the last: remove one of them");
    diags.Note("duplicate-domain", first.DomainPointer(first.domains[repeat.first_position]),
               fmt::format("domain {} is first routed here, by route {}; route {} repeats it",
                           Quote(domain.name), repeat.first_route + 1, i + 1));
  }
}

void CheckRelaySettings(const Relay& relay, Diagnostics& diags) {
  if (relay.mx && relay.host.IsAddress()) {
    diags.Error("mx-on-address", relay.pointer + "/mx",
                fmt::format("relay {} has \"mx\": true but its host {} is an IP address, which "
                            "has no MX record",
                            Quote(relay.name), Quote(relay.host.text)),
                "remove \"mx\" or give a domain whose MX hosts are the relays");
  }
  if (relay.auth && !(relay.tls && TlsIsMandatory(*relay.tls))) {
    diags.Warning("auth-without-tls", relay.auth->pointer,
                  fmt::format("relay {} authenticates without mandatory TLS: the password may "
                              "cross the network in the clear",
                              Quote(relay.name)),
                  "set \"tls\": \"encrypt\" (or dane, verify, secure) on this relay");
  }
}

}  // namespace

void ValidatePolicy(const Policy& policy, Diagnostics& diags) {
  CheckReferences(policy, diags);
  CheckDuplicateDomains(policy, diags);
  for (const Relay& relay : policy.relays) CheckRelaySettings(relay, diags);
  if (policy.for_qmail) CheckQmailSupport(policy, QmailCheck::kWarn, diags);
}

std::string QmailLimitation(const Relay& relay) {
  std::vector<std::string> problems;
  if (relay.host.kind == Host::Kind::kIpv6) problems.push_back("an IPv6 host");
  if (relay.auth) problems.push_back("SMTP AUTH");
  if (relay.tls && TlsIsMandatory(*relay.tls)) {
    problems.push_back(fmt::format("TLS \"{}\"", TlsLevelName(*relay.tls)));
  }
  if (relay.mx) problems.push_back("an MX lookup (\"mx\": true)");
  return problems.empty() ? "" : fmt::format("{}", fmt::join(problems, ", "));
}

void CheckQmailSupport(const Policy& policy, QmailCheck mode, Diagnostics& diags) {
  Severity severity = mode == QmailCheck::kError ? Severity::kError : Severity::kWarning;
  auto report = [&](const std::string& relay_name, const std::string& pointer,
                    std::string_view who) {
    const Relay* relay = policy.FindRelay(relay_name);
    if (!relay) return;
    std::string limitation = QmailLimitation(*relay);
    if (limitation.empty()) return;
    diags.Add(severity, "qmail-unsupported", pointer,
              fmt::format("{} uses relay {}, which needs {}: stock qmail-remote cannot do that",
                          who, Quote(relay->name), limitation),
              "gen qmail refuses this route; use Postfix for it, or a relay stock qmail can "
              "reach (IPv4 or host name, no auth, no required TLS)");
  };
  for (std::size_t i = 0; i < policy.routes.size(); ++i) {
    const Route& route = policy.routes[i];
    report(route.relay, route.pointer + "/relay", fmt::format("route {}", i + 1));
  }
  if (!policy.default_pointer.empty()) {
    report(policy.default_route, policy.default_pointer, "the default route");
  }
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& entry : origin.networks) {
      if (entry.network.address.family != Family::kV6) continue;
      diags.Add(severity, "qmail-unsupported", entry.pointer,
                fmt::format("origin network {} is IPv6: ucspi-tcp's tcp.smtp has no IPv6",
                            entry.network.ToCompactString()),
                "Postfix's mynetworks can list it; for gen qmail, serve IPv6 origins otherwise "
                "and remove the network");
    }
  }
}

}  // namespace mtaroute
