// Building the report: per group what to do, with --policy what the policy already does,
// and the routes to add (one per provider, for domains a relay helps and no route covers).
#include "triage/report.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "triage/policy_view.h"
#include "util/domain.h"

namespace mtaroute {
namespace {

constexpr std::size_t kMaxNote = 200;

bool RelayHelps(Helps helps) { return helps == Helps::kYes || helps == Helps::kPartly; }

GroupReport Describe(const Group& group, const Classifier& classifier, const Triage& triage) {
  GroupReport out;
  out.domain = group.domain;
  out.provider = classifier.ProviderName(group.provider);
  out.reason = ReasonId(group.reason);
  out.relay_helps = HelpsName(group.helps);
  out.first = group.first.ToString();
  out.last = group.last.ToString();
  out.sample = group.sample;
  out.advice = ReasonAdvice(group.reason);
  for (std::string_view list : group.lists) out.lists.emplace_back(list);
  out.hosts = group.hosts;
  std::sort(out.hosts.begin(), out.hosts.end());
  out.more_hosts = group.more_hosts;
  out.bounced = group.bounced;
  out.deferred = group.deferred;
  out.sent = group.domain.empty() ? 0 : triage.Sent(group.domain, group.provider);
  return out;
}

std::string RoutedStatus(const GroupPolicy& policy, const RelayStats* stats) {
  if (stats == nullptr) {
    return fmt::format(
        "routed through {} by {}, but no delivery through it is logged yet "
        "(is the configuration deployed?)",
        policy.relay, policy.by);
  }
  if (stats->sent_since_failure > 0) {
    return fmt::format(
        "routed through {} by {}: working, {} sent through it since the last "
        "failure",
        policy.relay, policy.by, stats->sent_since_failure);
  }
  return fmt::format(
      "routed through {} by {}: still failing, nothing sent through it since "
      "the last failure ({} sent before)",
      policy.relay, policy.by, stats->sent);
}

GroupPolicy DescribePolicy(const Policy& policy, const Triage& triage, const GroupReport& group,
                           const RouteMatch& match, bool helps, bool proposed) {
  GroupPolicy out;
  out.by = match.ByRoute() ? fmt::format("routes[{}]", match.route_index) : "default";
  out.relay = match.relay;
  out.proposed = proposed;
  if (!match.Direct()) {
    int index = RelayIndex(policy, match.relay);
    const RelayStats* stats =
        index < 0 ? nullptr : triage.ViaRelay(group.domain, static_cast<std::size_t>(index));
    if (stats != nullptr) {
      out.sent_via_relay = stats->sent;
      out.sent_via_relay_since_last_failure = stats->sent_since_failure;
      out.last_sent_via_relay = stats->last_sent.ToString();
    }
    out.status = RoutedStatus(out, stats);
  } else if (match.ByRoute()) {
    out.status =
        helps ? fmt::format(
                    "{} sends it direct, and a relay helps here: move the "
                    "domain to a relay's route",
                    out.by)
              : fmt::format("{} sends it direct; a relay {}", out.by,
                            group.relay_helps == HelpsName(Helps::kNo) ? "would not fix this"
                                                                       : "may or may not help");
  } else if (proposed) {
    out.status = "not routed (default direct): see the proposed route";
  } else {
    out.status = helps ? "not routed (default direct); no route proposed: not a domain name"
                 : group.relay_helps == HelpsName(Helps::kNo)
                     ? "not routed (default direct); no route proposed: a relay would not fix "
                       "this"
                     : "not routed (default direct); no route proposed: unclear whether a "
                       "relay helps (see \"to do\")";
  }
  return out;
}

struct Bucket {
  std::string provider;
  std::vector<std::string> domains;
  std::vector<std::string> reasons;  // "ip-reputation (3 bounced, 1 deferred)", one per group
};

// The domain as a policy names it (A-label, lower case), "" when a route cannot name it
// (an address literal, a single label).
std::string PolicyDomain(std::string_view domain) {
  NameResult name = NormalizeDomain(domain);
  return name.ok() ? name.name : std::string();
}

void AddToProposal(const GroupReport& group, const std::string& domain,
                   std::vector<Bucket>& buckets, std::set<std::string>& taken) {
  auto bucket = std::find_if(buckets.begin(), buckets.end(),
                             [&](const Bucket& b) { return b.provider == group.provider; });
  if (bucket == buckets.end())
    bucket = buckets.insert(buckets.end(), Bucket{group.provider, {}, {}});
  if (taken.insert(domain).second) bucket->domains.push_back(domain);
  bucket->reasons.push_back(fmt::format("{} {} ({} bounced, {} deferred)", domain,
                                        group.reason, group.bounced, group.deferred));
}

std::vector<ProposedRoute> MakeRoutes(std::vector<Bucket>& buckets, const std::string& relay) {
  std::vector<ProposedRoute> routes;
  for (Bucket& bucket : buckets) {
    std::sort(bucket.domains.begin(), bucket.domains.end());
    std::string note = fmt::format("mtaroute triage: {}: ", bucket.provider);
    for (std::size_t i = 0; i < bucket.reasons.size(); ++i) {
      std::string part = (i > 0 ? "; " : "") + bucket.reasons[i];
      if (note.size() + part.size() > kMaxNote) {
        note += fmt::format("; {} more", bucket.reasons.size() - i);
        break;
      }
      note += part;
    }
    routes.push_back({bucket.domains, relay, note});
  }
  return routes;
}

}  // namespace

Report BuildReport(const Triage& triage, const Classifier& classifier, const Policy* policy) {
  Report report;
  report.deliveries = triage.deliveries();
  report.sent = triage.sent();
  report.failed = triage.failed();
  if (policy != nullptr) {
    report.policy_file = policy->file;
    report.proposal_relay = ProposalRelay(*policy);
  }
  std::vector<Bucket> buckets;
  std::set<std::string> taken;
  for (const Group* group : triage.Groups()) {
    GroupReport out = Describe(*group, classifier, triage);
    std::string domain = PolicyDomain(group->domain);
    RouteMatch match;
    match.relay = std::string(kDirect);
    if (policy != nullptr) match = MatchRoute(*policy, domain.empty() ? group->domain : domain);
    bool helps = RelayHelps(group->helps);
    bool proposed = helps && !match.ByRoute() && match.Direct() && !domain.empty();
    if (proposed) AddToProposal(out, domain, buckets, taken);
    if (policy != nullptr) {
      out.policy = DescribePolicy(*policy, triage, out, match, helps, proposed);
    }
    report.groups.push_back(std::move(out));
  }
  for (const Group* group : triage.NonFinal()) {
    report.nonfinal.push_back(Describe(*group, classifier, triage));
  }
  std::string relay =
      report.proposal_relay.empty() ? std::string(kRelayPlaceholder) : report.proposal_relay;
  report.proposal = MakeRoutes(buckets, relay);
  if (!report.proposal.empty() && report.proposal_relay.empty()) {
    report.proposal_note =
        policy == nullptr
            ? "without --policy the routes already in place are unknown; replace RELAY with "
              "the name of your relay"
            : "the policy defines no relay: add one to \"relays\" and name it instead of RELAY";
  }
  return report;
}

}  // namespace mtaroute
