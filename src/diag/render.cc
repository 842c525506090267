// Implementation of the diagnostic renderers.
#include "diag/render.h"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mtaroute {
namespace {

// GitHub workflow commands: data escapes %, CR, LF; properties also ':' and ','.
std::string GithubEscape(std::string_view text, bool property) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      case ':': out += property ? "%3A" : ":"; break;
      case ',': out += property ? "%2C" : ","; break;
      default: out += c;
    }
  }
  return out;
}

const char* GithubCommand(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "notice";
  }
  return "error";
}

// ANSI SGR sequences for RenderText, in GCC's colours.
constexpr std::string_view kBold = "\033[1m";
constexpr std::string_view kReset = "\033[m";
constexpr std::string_view kHint = "\033[1;32m";

std::string_view SeverityColor(Severity severity) {
  switch (severity) {
    case Severity::kError: return "\033[1;31m";
    case Severity::kWarning: return "\033[1;35m";
    case Severity::kNote: return "\033[1;36m";
  }
  return kBold;
}

const char* SarifLevel(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

}  // namespace

std::string RenderText(const std::vector<Diagnostic>& diagnostics, bool color) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (!color) {
      out += fmt::format("{}:{}:{}: {}: {} [{}]\n", d.file, d.line, d.column,
                         SeverityName(d.severity), d.message, d.rule);
      if (!d.hint.empty()) out += fmt::format("  hint: {}\n", d.hint);
      continue;
    }
    out += fmt::format("{}{}:{}:{}:{} {}{}:{} {} [{}]\n", kBold, d.file, d.line, d.column, kReset,
                       SeverityColor(d.severity), SeverityName(d.severity), kReset, d.message,
                       d.rule);
    if (!d.hint.empty()) out += fmt::format("  {}hint:{} {}\n", kHint, kReset, d.hint);
  }
  return out;
}

std::string RenderGithub(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    std::string message = d.message;
    if (!d.hint.empty()) message += "\n" + d.hint;
    out += fmt::format("::{} file={},line={},col={},title={}::{}\n", GithubCommand(d.severity),
                       GithubEscape(d.file, true), d.line, d.column, GithubEscape(d.rule, true),
                       GithubEscape(message, false));
  }
  return out;
}

std::string RenderJson(const std::vector<Diagnostic>& diagnostics) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Diagnostic& d : diagnostics) {
    out.push_back({{"file", d.file},
                   {"line", d.line},
                   {"column", d.column},
                   {"pointer", d.pointer},
                   {"severity", SeverityName(d.severity)},
                   {"rule", d.rule},
                   {"message", d.message},
                   {"hint", d.hint}});
  }
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string RenderSarif(const std::vector<Diagnostic>& diagnostics, std::string_view version) {
  using Ordered = nlohmann::ordered_json;
  std::set<std::string> rule_ids;
  for (const Diagnostic& d : diagnostics) rule_ids.insert(d.rule);
  Ordered rules = Ordered::array();
  for (const std::string& id : rule_ids) rules.push_back({{"id", id}, {"name", id}});
  Ordered results = Ordered::array();
  for (const Diagnostic& d : diagnostics) {
    std::string text = d.hint.empty() ? d.message : d.message + " (" + d.hint + ")";
    Ordered region = {{"startLine", d.line}, {"startColumn", d.column}};
    Ordered physical = {{"artifactLocation", {{"uri", d.file}}}, {"region", region}};
    Ordered location = {{"physicalLocation", physical}};
    if (!d.pointer.empty()) {
      location["logicalLocations"] = Ordered::array({{{"fullyQualifiedName", d.pointer}}});
    }
    results.push_back({{"ruleId", d.rule},
                       {"level", SarifLevel(d.severity)},
                       {"message", {{"text", text}}},
                       {"locations", Ordered::array({location})}});
  }
  Ordered driver = {{"name", "mtaroute"},
                    {"version", std::string(version)},
                    {"rules", rules}};
  Ordered sarif = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", Ordered::array({{{"tool", {{"driver", driver}}}, {"results", results}}})}};
  return sarif.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string Render(DiagnosticFormat format, const std::vector<Diagnostic>& diagnostics,
                   std::string_view version, bool color) {
  switch (format) {
    case DiagnosticFormat::kText: return RenderText(diagnostics, color);
    case DiagnosticFormat::kJson: return RenderJson(diagnostics);
    case DiagnosticFormat::kGithub: return RenderGithub(diagnostics);
    case DiagnosticFormat::kSarif: return RenderSarif(diagnostics, version);
  }
  return {};
}

}  // namespace mtaroute
