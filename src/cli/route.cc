// `mtaroute route POLICY ADDRESS|DOMAIN...`: for each recipient, where Postfix and qmail would
// send mail with the files `gen` makes from the policy, the table line that decides it and the
// policy location behind that line. Lints first; computes from the generated tables.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/templates.h"
#include "diag/render.h"
#include "policy/analyze.h"
#include "route/route.h"
#include "util/domain.h"
#include "util/text.h"

namespace mtaroute {
namespace {

struct RouteOptions {
  std::string policy;
  std::vector<std::string> recipients;
  std::string format = "text";
  std::size_t max_size = ParseLimits{}.max_file_bytes;
};

struct Location {
  std::string text;  // "policy.json:19:21", or "" when the policy has no such entry
  int line = 0;
  int column = 0;
};

Location Locate(const InputFile& input, const std::string& pointer) {
  if (pointer.empty()) return {};
  std::vector<Diagnostic> probe(1);
  probe[0].pointer = pointer;
  ResolveLocations(input.name, input.text, probe);
  return {fmt::format("{}:{}:{}", input.name, probe[0].line, probe[0].column), probe[0].line,
          probe[0].column};
}

// The relay name behind a decision: the default's when it decided, else the route's.
std::string RelayName(const MtaAnswer& answer, const Policy& policy) {
  if (answer.decision.direct) return {};
  if (answer.decision.by_default) return policy.default_route;
  return answer.source ? answer.source->relay : "";
}

std::string Describe(const PolicySource& source) {
  if (source.route == 0) {
    return fmt::format("\"default\": \"{}\"", source.relay);
  }
  return fmt::format("route {}, \"{}\"{}", source.route, DomainForDisplay(source.domain),
                     source.subdomains ? " with subdomains" : "");
}

std::string TableLineText(const TableLine& line) {
  return fmt::format("{}:{}: {}", line.file, line.line, line.text);
}

void RenderMtaText(std::string& out, const MtaAnswer& answer, const RouteAnswer& route,
                   const Policy& policy, const InputFile& input) {
  if (!answer.refused.empty()) {
    out += fmt::format("  {}: not generated: gen {} refuses this policy: {}\n", answer.mta,
                       answer.mta, answer.refused);
    return;
  }
  const Decision& d = answer.decision;
  std::string what = d.direct ? fmt::format("direct (MX of {})", route.domain)
                              : fmt::format("relay \"{}\", nexthop {}", RelayName(answer, policy),
                                            d.nexthop);
  out += fmt::format("  {}: {}{}\n", answer.mta, what, d.by_default ? ", by default" : "");
  if (d.entry) {
    std::string note = d.entry->file == "transport" && d.by_default ? "  (changes nothing)" : "";
    out += fmt::format("    {}{}\n", TableLineText(*d.entry), note);
  }
  if (d.fallback) out += fmt::format("    {}\n", TableLineText(*d.fallback));
  if (!d.entry) {
    std::vector<std::string> keys;
    for (const std::string& key : d.tried) keys.push_back(Quote(key));
    out += fmt::format("    no {} entry for {}; {}\n", answer.mta == "postfix" ? "transport" : "smtproutes",
                       fmt::join(keys, ", "),
                       answer.mta == "postfix" ? "no relayhost" : "no default (\":relay\")");
  }
  if (answer.source) {
    Location location = Locate(input, answer.source->pointer);
    out += location.text.empty()
               ? fmt::format("    policy: \"default\" not set: direct\n")
               : fmt::format("    policy: {}: {}\n", location.text, Describe(*answer.source));
  }
  if (!answer.disagreement.empty()) {
    out += fmt::format("    error: {}\n", answer.disagreement);
  }
}

std::string RoutesText(const std::vector<RouteAnswer>& routes, const Policy& policy,
                       const InputFile& input) {
  std::string out;
  for (const RouteAnswer& route : routes) {
    if (!route.error.empty()) continue;
    std::string recipient = route.local.empty() ? route.domain : route.local + "@" + route.domain;
    std::string header = route.input;
    if (recipient != route.input) header += fmt::format(" ({})", recipient);
    if (route.trailing_dot) header += " (trailing dot: Postfix drops it, qmail keeps it)";
    out += header + "\n";
    for (const MtaAnswer& answer : route.answers) RenderMtaText(out, answer, route, policy, input);
  }
  return out;
}

nlohmann::ordered_json LineJson(const std::optional<TableLine>& line) {
  if (!line) return nullptr;
  return {{"file", line->file}, {"line", line->line}, {"text", line->text}, {"key", line->key}};
}

nlohmann::ordered_json MtaJson(const MtaAnswer& answer, const Policy& policy,
                               const InputFile& input) {
  nlohmann::ordered_json json;
  if (!answer.refused.empty()) {
    json["refused"] = answer.refused;
    return json;
  }
  const Decision& d = answer.decision;
  std::string relay = RelayName(answer, policy);
  json["delivery"] = d.direct ? "direct" : "relay";
  json["by_default"] = d.by_default;
  json["relay"] = relay.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(relay);
  json["nexthop"] = d.direct ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.nexthop);
  json["entry"] = LineJson(d.entry);
  json["fallback"] = LineJson(d.fallback);
  json["tried"] = d.tried;
  if (answer.source) {
    Location location = Locate(input, answer.source->pointer);
    json["policy"] = {{"file", input.name},
                      {"line", location.line},
                      {"column", location.column},
                      {"pointer", answer.source->pointer},
                      {"route", answer.source->route == 0
                                    ? nlohmann::ordered_json(nullptr)
                                    : nlohmann::ordered_json(answer.source->route)},
                      {"relay", answer.source->relay}};
  } else {
    json["policy"] = nullptr;
  }
  json["disagreement"] = answer.disagreement.empty() ? nlohmann::ordered_json(nullptr)
                                                     : nlohmann::ordered_json(answer.disagreement);
  return json;
}

std::string RoutesJson(const std::vector<RouteAnswer>& routes, const Policy& policy,
                       const InputFile& input) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const RouteAnswer& route : routes) {
    nlohmann::ordered_json json;
    json["input"] = route.input;
    if (!route.error.empty()) {
      json["error"] = route.error;
      all.push_back(std::move(json));
      continue;
    }
    json["local"] = route.local.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(route.local);
    json["domain"] = route.domain;
    json["trailing_dot"] = route.trailing_dot;
    for (const MtaAnswer& answer : route.answers) json[answer.mta] = MtaJson(answer, policy, input);
    all.push_back(std::move(json));
  }
  return all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int RunRoute(const RouteOptions& options) {
  int status = 0;
  std::optional<InputFile> read = ReadPolicyFile(options.policy, options.max_size, status);
  if (!read) return status;
  const InputFile& input = *read;
  ParseLimits limits;
  limits.max_file_bytes = options.max_size;
  Analysis analysis = AnalyzePolicy(input.name, input.text, limits);
  // What qmail cannot do is in the qmail answer ("not generated"); as a warning it is noise.
  // Warnings are lint's business; with errors, all diagnostics are shown.
  std::erase_if(analysis.diags.items(),
                [](const Diagnostic& d) { return d.rule == "qmail-unsupported"; });
  if (analysis.diags.HasErrors() || !analysis.policy) {
    std::cerr << RenderText(analysis.diags.items());
    return kExitFindings;
  }
  EmitContext context;
  context.policy_file = input.name;
  if (std::string error = LoadTemplates("", context); !error.empty()) {
    std::cerr << "mtaroute: " << error << "\n";
    return kExitFindings;
  }
  Router router(*analysis.policy, context);
  std::vector<RouteAnswer> routes;
  int exit_code = kExitOk;
  for (const std::string& recipient : options.recipients) {
    RouteAnswer answer = router.Lookup(recipient);
    if (!answer.error.empty()) {
      std::cerr << fmt::format("mtaroute: {}: not an address or domain: {}\n",
                               Quote(recipient), answer.error);
      exit_code = kExitUsage;
    }
    for (const MtaAnswer& mta : answer.answers) {
      if (!mta.disagreement.empty() && exit_code == kExitOk) exit_code = kExitFindings;
    }
    routes.push_back(std::move(answer));
  }
  std::cout << (options.format == "json" ? RoutesJson(routes, *analysis.policy, input)
                                         : RoutesText(routes, *analysis.policy, input));
  return exit_code;
}

}  // namespace

void AddRouteCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RouteOptions>();
  CLI::App* route = app.add_subcommand(
      "route",
      "Show which relay Postfix and qmail would use for each address or domain, the table line "
      "that decides it, and the policy line behind it.");
  route->add_option("POLICY", options->policy, "Policy file ('-' for standard input)")
      ->required();
  route->add_option("RECIPIENT", options->recipients,
                    "Addresses (user@domain) or domains; IDN is converted to A-labels")
      ->required();
  route->add_option("--format", options->format, "Output format: text, json")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  route->add_option("--max-size", options->max_size, "Largest policy file read, in bytes");
  route->callback([options, &exit_code] { exit_code = RunRoute(*options); });
}

}  // namespace mtaroute
