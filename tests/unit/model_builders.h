// Small builders of model values for the emitter unit tests: relays, routes, origins and a
// policy put together the way the decoder would (relays sorted by name, a pointer for a
// relay default), without JSON.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "policy/policy.h"
#include "util/net.h"

namespace mtaroute {

inline Relay MakeRelay(const std::string& name, const std::string& host, int port,
                       Host::Kind kind = Host::Kind::kName) {
  Relay relay;
  relay.name = name;
  relay.host = {kind, host};
  relay.port = port;
  return relay;
}

inline Route MakeRoute(const std::vector<std::string>& domains, const std::string& relay,
                       bool subdomains = false, const std::string& note = "") {
  Route route;
  for (const std::string& name : domains) route.domains.Add(name, route.domains.size());
  route.relay = relay;
  route.subdomains = subdomains;
  route.note = note;
  return route;
}

inline Origin MakeOrigin(const std::string& name, const std::vector<std::string>& networks) {
  Origin origin;
  origin.name = name;
  for (const std::string& text : networks) {
    NetworkParseResult parsed = ParseNetwork(text);
    INFO(text << ": " << parsed.error);
    REQUIRE(parsed.network.has_value());
    origin.networks.push_back({*parsed.network, ""});
  }
  return origin;
}

inline Policy MakePolicy(std::vector<Relay> relays, std::vector<Route> routes,
                         const std::string& default_route = "direct",
                         std::vector<Origin> origins = {}) {
  Policy policy;
  std::sort(relays.begin(), relays.end(),
            [](const Relay& a, const Relay& b) { return a.name < b.name; });
  policy.relays = std::move(relays);
  policy.routes = std::move(routes);
  policy.default_route = default_route;
  if (default_route != "direct") policy.default_pointer = "/default";
  policy.origins = std::move(origins);
  return policy;
}

}  // namespace mtaroute
