// Router: runs the Postfix and qmail emitters once, reads their tables back with the MTAs'
// own rules, and names for every deciding line the route of the policy that wrote it.
#include "route/route.h"

#include <fmt/format.h>

#include "policy/validate.h"
#include "util/domain.h"
#include "util/text.h"

namespace mtaroute {
namespace {

std::string FileText(const std::vector<OutputFile>& files, std::string_view name) {
  for (const OutputFile& file : files) {
    if (file.name == name) return file.content;
  }
  return {};
}

// Why `gen qmail` would refuse the policy, or "".
std::string QmailRefusal(const Policy& policy) {
  Diagnostics diags;
  CheckQmailSupport(policy, QmailCheck::kError, diags);
  for (const Diagnostic& d : diags.items()) {
    if (d.severity != Severity::kError) continue;
    std::string more = diags.errors() > 1 ? fmt::format(" (and {} more)", diags.errors() - 1) : "";
    return d.message + more;
  }
  return {};
}

// What is wrong with the local part of an address, or "": anything goes but white space and
// control characters, which no MTA would get as one address.
std::string CheckLocalPart(std::string_view local) {
  if (local.empty()) return "the local part before \"@\" is empty";
  for (char c : local) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "the local part contains white space or a control character";
    }
  }
  return {};
}

}  // namespace

Router::Router(const Policy& policy, const EmitContext& context) : policy_(policy) {
  if (const Target* postfix = FindTarget("postfix")) {
    std::vector<OutputFile> files = postfix->emit(policy, context);
    postfix_.emplace(FileText(files, "transport"), FileText(files, "main.cf"));
  }
  qmail_refused_ = QmailRefusal(policy);
  if (const Target* qmail = FindTarget("qmail"); qmail && qmail_refused_.empty()) {
    qmail_.emplace(FileText(qmail->emit(policy, context), "smtproutes"));
  }
  // The keys the emitters write for each route: "domain", and ".domain" with subdomains. The
  // first route of a key wins, as in the emitters (lint refuses duplicates anyway).
  for (std::size_t r = 0; r < policy.routes.size(); ++r) {
    const Route& route = policy.routes[r];
    for (const RouteDomain& domain : route.domains) {
      std::string name(domain.name);
      PolicySource source{route.DomainPointer(domain), static_cast<int>(r + 1), name, false,
                          route.relay};
      sources_.emplace(name, source);
      if (route.subdomains) {
        source.subdomains = true;
        sources_.emplace("." + name, source);
      }
    }
  }
}

std::optional<PolicySource> Router::SourceOf(const Decision& decision) const {
  // The default decides when no route entry did, and also behind a Postfix ":" entry
  // (which defers to it); the entry's route is then still the policy's source.
  if (decision.entry && decision.entry->file != "main.cf" && !decision.entry->key.empty()) {
    auto found = sources_.find(decision.entry->key);
    if (found == sources_.end()) return std::nullopt;
    return found->second;
  }
  return PolicySource{policy_.default_pointer, 0, "", false, policy_.default_route};
}

MtaAnswer Router::Answer(std::string mta, Decision decision) const {
  MtaAnswer answer;
  answer.mta = std::move(mta);
  answer.source = SourceOf(decision);
  if (!answer.source) {
    answer.disagreement = fmt::format("{}:{}: no route of the policy writes key {}",
                                      decision.entry->file, decision.entry->line,
                                      Quote(decision.entry->key));
  } else if (answer.source->relay == kDirect && !decision.direct) {
    answer.disagreement = fmt::format("the policy says direct delivery, but {} would send to {}",
                                      answer.mta, decision.nexthop);
  } else if (answer.source->relay != kDirect && decision.direct) {
    answer.disagreement = fmt::format("the policy says relay \"{}\", but {} would deliver "
                                      "directly",
                                      answer.source->relay, answer.mta);
  }
  answer.decision = std::move(decision);
  return answer;
}

RouteAnswer Router::Lookup(std::string_view input) const {
  RouteAnswer answer;
  answer.input = std::string(input);
  std::string_view domain = input;
  if (std::size_t at = input.rfind('@'); at != std::string_view::npos) {
    answer.local = std::string(input.substr(0, at));
    domain = input.substr(at + 1);
    if (std::string error = CheckLocalPart(answer.local); !error.empty()) {
      answer.error = error;
      return answer;
    }
  }
  if (domain.ends_with(".")) {
    answer.trailing_dot = true;
    domain.remove_suffix(1);
  }
  NameResult name = NormalizeDomain(domain);
  if (!name.ok() || domain.ends_with(".")) {
    answer.error = name.ok() ? "more than one trailing dot" : name.error;
    if (!name.hint.empty()) answer.error += "; " + name.hint;
    return answer;
  }
  answer.domain = name.name;
  std::string recipient = answer.local.empty() ? answer.domain : answer.local + "@" + answer.domain;
  if (postfix_) answer.answers.push_back(Answer("postfix", postfix_->Lookup(recipient)));
  MtaAnswer qmail;
  if (qmail_) {
    qmail = Answer("qmail", qmail_->Lookup(recipient + (answer.trailing_dot ? "." : "")));
  } else {
    qmail.mta = "qmail";
    qmail.refused = qmail_refused_;
  }
  answer.answers.push_back(std::move(qmail));
  return answer;
}

}  // namespace mtaroute
