// Route lookup with the semantics of the generated transport table (see FORMATS.md).
#include "triage/policy_view.h"

#include <map>

namespace mtaroute {

RouteMatch MatchRoute(const Policy& policy, std::string_view domain) {
  RouteMatch match;
  std::size_t best_parent = 0;  // length of the closest parent found so far
  for (std::size_t r = 0; r < policy.routes.size(); ++r) {
    const Route& route = policy.routes[r];
    for (const RouteDomain& d : route.domains) {
      if (d.name == domain) {
        return RouteMatch{static_cast<int>(r), route.relay};
      }
      bool parent = route.subdomains && domain.size() > d.name.size() + 1 &&
                    domain.ends_with(d.name) && domain[domain.size() - d.name.size() - 1] == '.';
      if (parent && d.name.size() > best_parent) {
        best_parent = d.name.size();
        match = RouteMatch{static_cast<int>(r), route.relay};
      }
    }
  }
  if (!match.ByRoute()) match.relay = policy.default_route;
  return match;
}

std::vector<RelayTarget> RelayTargets(const Policy& policy) {
  std::vector<RelayTarget> targets;
  for (const Relay& relay : policy.relays) targets.push_back({relay.host.text, relay.port});
  return targets;
}

int RelayIndex(const Policy& policy, std::string_view name) {
  for (std::size_t i = 0; i < policy.relays.size(); ++i) {
    if (policy.relays[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string ProposalRelay(const Policy& policy) {
  std::map<std::string, std::size_t> domains;  // relay -> domains routed through it
  std::vector<std::string> order;              // relays in order of first use
  for (const Route& route : policy.routes) {
    if (route.relay == kDirect || policy.FindRelay(route.relay) == nullptr) continue;
    if (domains[route.relay] == 0) order.push_back(route.relay);
    domains[route.relay] += route.domains.size();
  }
  std::string best;
  for (const std::string& relay : order) {
    if (best.empty() || domains[relay] > domains[best]) best = relay;
  }
  if (!best.empty()) return best;
  if (policy.default_route != kDirect && policy.FindRelay(policy.default_route) != nullptr) {
    return policy.default_route;
  }
  return policy.relays.empty() ? std::string() : policy.relays.front().name;
}

}  // namespace mtaroute
