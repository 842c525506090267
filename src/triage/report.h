// The triage report as plain values (everything already turned into text), built from the
// groups and, with --policy, what the policy does for each domain and the proposed routes;
// then rendered for people (sorted by impact) or as JSON. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "triage/triage.h"

namespace mtaroute {

// With --policy: what the policy does for the group's domain.
struct GroupPolicy {
  std::string by;     // "routes[2]" or "default"
  std::string relay;  // relay name or "direct"
  std::uint64_t sent_via_relay = 0;
  std::uint64_t sent_via_relay_since_last_failure = 0;
  std::string last_sent_via_relay;  // ISO 8601, "" when none
  bool proposed = false;            // a proposed route covers the domain
  std::string status;               // one line for people
};

struct GroupReport {
  std::string domain;  // "" for non-final MX soft errors
  std::string provider, reason, relay_helps, first, last, sample, advice;
  std::vector<std::string> lists;
  std::vector<std::string> hosts;
  bool more_hosts = false;  // hosts lists the first Group::kMaxHosts only
  std::uint64_t bounced = 0, deferred = 0, sent = 0;
  std::optional<GroupPolicy> policy;
};

struct ProposedRoute {
  std::vector<std::string> domains;
  std::string relay;
  std::string note;
};

struct Report {
  std::string policy_file;  // "" without --policy
  std::uint64_t files = 0, lines = 0, deliveries = 0, sent = 0, failed = 0;
  std::vector<GroupReport> groups;
  std::vector<GroupReport> nonfinal;
  std::string proposal_relay;  // "" when there is no relay to name
  std::vector<ProposedRoute> proposal;
  std::string proposal_note;  // why the proposal needs an edit, or ""
};

Report BuildReport(const Triage& triage, const Classifier& classifier, const Policy* policy);

std::string RenderTextReport(const Report& report);
std::string RenderJsonReport(const Report& report);
// A proposed route as one line of JSON, ready to paste into "routes".
std::string RouteJson(const ProposedRoute& route);

// A placeholder relay name for proposals made without a usable relay.
inline constexpr std::string_view kRelayPlaceholder = "RELAY";

}  // namespace mtaroute
