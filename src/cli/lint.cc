// `mtaroute lint`: every check on one or more policies, reported in the chosen format.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/color.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "diag/render.h"
#include "policy/analyze.h"
#include "version.h"

namespace mtaroute {
namespace {

struct LintOptions {
  std::vector<std::string> files;
  std::string format = "auto";
  std::string color = "auto";
  bool strict = false;
  std::size_t max_size = ParseLimits{}.max_file_bytes;
};

// `auto`: workflow commands inside GitHub Actions (which sets GITHUB_ACTIONS=true), else text.
DiagnosticFormat ResolveFormat(const std::string& name) {
  static const std::map<std::string, DiagnosticFormat> kFormats = {
      {"text", DiagnosticFormat::kText},
      {"json", DiagnosticFormat::kJson},
      {"github", DiagnosticFormat::kGithub},
      {"sarif", DiagnosticFormat::kSarif}};
  if (auto it = kFormats.find(name); it != kFormats.end()) return it->second;
  const char* actions = std::getenv("GITHUB_ACTIONS");
  if (actions != nullptr && std::string_view(actions) == "true") return DiagnosticFormat::kGithub;
  return DiagnosticFormat::kText;
}

int RunLint(const LintOptions& options) {
  std::vector<Diagnostic> all;
  bool unreadable = false;
  bool failed = false;
  ParseLimits limits;
  limits.max_file_bytes = options.max_size;
  for (const std::string& path : options.files) {
    InputFile input = ReadInputFile(path, limits.max_file_bytes);
    if (!input.error.empty()) {
      std::cerr << fmt::format("mtaroute: cannot read {}: {}\n", path, input.error);
      unreadable = true;
      continue;
    }
    if (input.too_large) {
      all.push_back(TooLargeDiagnostic(input, limits.max_file_bytes));
      failed = true;
      continue;
    }
    Analysis analysis = AnalyzePolicy(input.name, std::move(input.text), limits);
    failed = failed || analysis.diags.HasErrors() ||
             (options.strict && analysis.diags.warnings() > 0);
    for (Diagnostic& d : analysis.diags.items()) all.push_back(std::move(d));
    if (analysis.diags.dropped() > 0) {
      std::cerr << fmt::format("mtaroute: {}: {} more diagnostics not shown\n", input.name,
                               analysis.diags.dropped());
    }
  }
  std::cout << Render(ResolveFormat(options.format), all, kVersion,
                      UseColor(ParseColorMode(options.color), STDOUT_FILENO));
  if (unreadable) return kExitUsage;
  return failed ? kExitFindings : kExitOk;
}

}  // namespace

void AddLintCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<LintOptions>();
  CLI::App* lint = app.add_subcommand(
      "lint", "Check policies and report every problem with file:line:col (no secret is read).");
  lint->add_option("POLICY", options->files, "Policy files ('-' for standard input)")
      ->required();
  lint->add_option("--format", options->format,
                   "Output format: auto (github when GITHUB_ACTIONS=true, else text), text, "
                   "json, github, sarif")
      ->transform(CLI::IsMember({"auto", "text", "json", "github", "sarif"}, CLI::ignore_case))
      ->default_str("auto");
  lint->add_option("--color", options->color,
                   "Colour the text format: auto (on a terminal, unless NO_COLOR is set), "
                   "always, never")
      ->transform(CLI::IsMember({"auto", "always", "never"}, CLI::ignore_case))
      ->default_str("auto");
  lint->add_flag("--strict", options->strict, "Treat warnings as errors (exit 1)");
  lint->add_option("--max-size", options->max_size, "Largest policy file read, in bytes")
      ->default_str(std::to_string(options->max_size));
  lint->callback([options, &exit_code] { exit_code = RunLint(*options); });
}

}  // namespace mtaroute
