// Rendering the triage report: text for people (groups by impact, what to do, the routes to
// paste) and JSON for programs. Log text is untrusted: control bytes are escaped in text
// output, and invalid UTF-8 is replaced in JSON.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "triage/report.h"

namespace mtaroute {
namespace {

// Keys in the documented order, not sorted.
using Json = nlohmann::ordered_json;

// Log text for a terminal: control bytes as \xNN, so a log cannot move the cursor or
// forge lines.
std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Hosts(const GroupReport& group) {
  std::string out = Printable(fmt::format("{}", fmt::join(group.hosts, ", ")));
  if (group.more_hosts) out += " and more";
  return out;
}

std::string Period(const GroupReport& group) {
  if (group.first.empty()) return "time unknown";
  if (group.first == group.last) return group.first;
  return fmt::format("{} .. {}", group.first, group.last);
}

void RenderGroup(const GroupReport& group, std::string& out) {
  out += fmt::format("{:>6} bounced {:>6} deferred {:>6} sent  {}  {}  {}  (relay helps: {})\n",
                     group.bounced, group.deferred, group.sent, Printable(group.domain),
                     group.provider, group.reason, group.relay_helps);
  out += fmt::format("    when:   {}\n", Period(group));
  if (!group.hosts.empty()) out += fmt::format("    hosts:  {}\n", Hosts(group));
  if (!group.lists.empty()) out += fmt::format("    lists:  {}\n", fmt::join(group.lists, ", "));
  out += fmt::format("    sample: {}\n", Printable(group.sample));
  out += fmt::format("    to do:  {}\n", group.advice);
  if (group.policy) out += fmt::format("    policy: {}\n", group.policy->status);
}

void RenderProposal(const Report& report, std::string& out) {
  if (report.proposal.empty()) return;
  out += fmt::format(
      "\nProposed routes: paste into \"routes\" of {}, then run mtaroute lint "
      "and mtaroute gen:\n",
      report.policy_file.empty() ? "the policy" : report.policy_file);
  for (const ProposedRoute& route : report.proposal) out += "    " + RouteJson(route) + ",\n";
  if (!report.proposal_note.empty()) out += fmt::format("Note: {}\n", report.proposal_note);
}

Json GroupJson(const GroupReport& group) {
  Json j = {{"domain", group.domain},
            {"provider", group.provider},
            {"reason", group.reason},
            {"relay_helps", group.relay_helps},
            {"list", group.lists.empty() ? Json(nullptr) : Json(group.lists.front())},
            {"lists", group.lists},
            {"bounced", group.bounced},
            {"deferred", group.deferred},
            {"sent", group.sent},
            {"first", group.first.empty() ? Json(nullptr) : Json(group.first)},
            {"last", group.last.empty() ? Json(nullptr) : Json(group.last)},
            {"hosts", group.hosts},
            {"more_hosts", group.more_hosts},
            {"sample", group.sample},
            {"advice", group.advice}};
  if (group.policy) {
    const GroupPolicy& p = *group.policy;
    j["policy"] = {{"by", p.by},
                   {"relay", p.relay},
                   {"sent_via_relay", p.sent_via_relay},
                   {"sent_via_relay_since_last_failure", p.sent_via_relay_since_last_failure},
                   {"last_sent_via_relay",
                    p.last_sent_via_relay.empty() ? Json(nullptr) : Json(p.last_sent_via_relay)},
                   {"proposed", p.proposed},
                   {"status", p.status}};
  }
  return j;
}

Json RouteObject(const ProposedRoute& route) {
  return Json{{"domains", route.domains}, {"relay", route.relay}, {"note", route.note}};
}

}  // namespace

std::string RouteJson(const ProposedRoute& route) {
  Json domains = route.domains;
  return fmt::format("{{ \"domains\": {}, \"relay\": {}, \"note\": {} }}",
                     domains.dump(-1, ' ', false, Json::error_handler_t::replace),
                     Json(route.relay).dump(),
                     Json(route.note).dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string RenderTextReport(const Report& report) {
  std::string out = fmt::format(
      "mtaroute triage: {} lines in {} log(s); {} remote deliveries: {} sent, {} failed, in {} "
      "groups\n",
      report.lines, report.files, report.deliveries, report.sent, report.failed,
      report.groups.size());
  if (!report.policy_file.empty()) out += fmt::format("policy: {}\n", report.policy_file);
  for (const GroupReport& group : report.groups) {
    out += "\n";
    RenderGroup(group, out);
  }
  if (!report.nonfinal.empty()) {
    out +=
        "\nSoft errors from non-final MX hosts (logged without a recipient; counted per host, "
        "not in the groups above):\n";
    for (const GroupReport& group : report.nonfinal) {
      out += fmt::format("{:>6} deferred  {}  {}  {}  (relay helps: {})\n", group.deferred,
                         Hosts(group), group.provider, group.reason, group.relay_helps);
      out += fmt::format("    sample: {}\n", Printable(group.sample));
    }
  }
  if (report.groups.empty()) out += "\nNo bounced or deferred remote delivery found.\n";
  RenderProposal(report, out);
  return out;
}

std::string RenderJsonReport(const Report& report) {
  Json groups = Json::array();
  for (const GroupReport& group : report.groups) groups.push_back(GroupJson(group));
  Json nonfinal = Json::array();
  for (const GroupReport& group : report.nonfinal) {
    Json j = GroupJson(group);
    j.erase("domain");
    j.erase("sent");
    j.erase("bounced");
    nonfinal.push_back(std::move(j));
  }
  Json routes = Json::array();
  for (const ProposedRoute& route : report.proposal) routes.push_back(RouteObject(route));
  Json proposal = {
      {"relay", report.proposal_relay.empty() ? Json(nullptr) : Json(report.proposal_relay)},
      {"routes", routes}};
  if (!report.proposal_note.empty()) proposal["note"] = report.proposal_note;
  Json root = {
      {"groups", groups},
      {"nonfinal_mx", nonfinal},
      {"proposal", proposal},
      {"summary",
       {{"files", report.files},
        {"lines", report.lines},
        {"deliveries", report.deliveries},
        {"sent", report.sent},
        {"failed", report.failed},
        {"policy", report.policy_file.empty() ? Json(nullptr) : Json(report.policy_file)}}}};
  return root.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace mtaroute
