// `mtaroute route`'s answers, without the CLI: for an address or domain, what Postfix and
// qmail would do with the tables the emitters generate for a (linted) policy, and which route
// of the policy wrote the deciding line. The decision comes from the generated text
// (route/lookup.h); the policy only names the source and is cross-checked against it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "emit/output.h"
#include "policy/policy.h"
#include "route/lookup.h"

namespace mtaroute {

// The part of the policy behind a table line.
struct PolicySource {
  std::string pointer;     // "/routes/0/domains/1", "/default"; "" when "default" is not set
  int route = 0;           // 1-based route number; 0 for the default
  std::string domain;      // the route's domain whose key matched ("" for the default)
  bool subdomains = false; // matched through the ".domain" key
  std::string relay;       // the relay name, or "direct"
};

struct MtaAnswer {
  std::string mta;      // "postfix" or "qmail"
  std::string refused;  // why `gen MTA` refuses this policy (then nothing else is set)
  Decision decision;
  std::optional<PolicySource> source;
  std::string disagreement;  // the table does not do what the policy says (an mtaroute bug)
};

struct RouteAnswer {
  std::string input;    // as given
  std::string error;    // not an address or domain; nothing else is set
  std::string local;    // the local part of an address, "" for a domain
  std::string domain;   // A-label, lower case, without the trailing dot
  bool trailing_dot = false;
  std::vector<MtaAnswer> answers;  // postfix, qmail
};

class Router {
 public:
  // Generates the Postfix and qmail tables with the targets' own emitters. `context` needs
  // the templates (headers); no secrets are needed or read.
  Router(const Policy& policy, const EmitContext& context);

  RouteAnswer Lookup(std::string_view input) const;

 private:
  MtaAnswer Answer(std::string mta, Decision decision) const;
  std::optional<PolicySource> SourceOf(const Decision& decision) const;

  const Policy& policy_;
  std::optional<PostfixTables> postfix_;
  std::optional<QmailRoutes> qmail_;
  std::string qmail_refused_;
  std::unordered_map<std::string, PolicySource> sources_;  // table key -> route
};

}  // namespace mtaroute
