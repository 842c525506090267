// What a policy already does for a recipient domain (which route or the default, which
// relay), how its relays appear in logs, and which relay a proposed route should use.
// Pure functions of the model: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "triage/triage.h"

namespace mtaroute {

struct RouteMatch {
  int route_index = -1;  // routes[route_index] names the domain or a parent with subdomains
  std::string relay;     // the relay name, or "direct"
  bool ByRoute() const { return route_index >= 0; }
  bool Direct() const { return relay == kDirect; }
};

// Postfix's order: an exact domain first, then the closest parent with "subdomains": true,
// then the default.
RouteMatch MatchRoute(const Policy& policy, std::string_view domain);

// The policy's relays as logs name them; index i is policy.relays[i].
std::vector<RelayTarget> RelayTargets(const Policy& policy);
int RelayIndex(const Policy& policy, std::string_view name);

// The relay a proposed route uses: the one the existing routes send the most domains
// through (ties: the earlier route); else the default when it is a relay; else the first
// relay by name; "" when the policy has none.
std::string ProposalRelay(const Policy& policy);

}  // namespace mtaroute
