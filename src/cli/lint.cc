// `mtaroute lint`: every check on one or more policies, reported in the chosen format.
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "diag/render.h"
#include "policy/analyze.h"
#include "version.h"

namespace mtaroute {
namespace {

struct LintOptions {
  std::vector<std::string> files;
  DiagnosticFormat format = DiagnosticFormat::kText;
  bool strict = false;
  std::size_t max_size = ParseLimits{}.max_file_bytes;
};

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
      Diagnostic d;
      d.severity = Severity::kError;
      d.rule = "file-too-large";
      d.message = fmt::format("the policy is larger than {} bytes", limits.max_file_bytes);
      d.hint = "a policy this large is unusual; raise the limit with --max-size if it is right";
      d.file = input.name;
      d.line = d.column = 1;
      all.push_back(std::move(d));
      failed = true;
      continue;
    }
    Analysis analysis = AnalyzePolicy(input.name, input.text, limits);
    failed = failed || analysis.diags.HasErrors() ||
             (options.strict && analysis.diags.warnings() > 0);
    for (Diagnostic& d : analysis.diags.items()) all.push_back(std::move(d));
    if (analysis.diags.dropped() > 0) {
      std::cerr << fmt::format("mtaroute: {}: {} more diagnostics not shown\n", input.name,
                               analysis.diags.dropped());
    }
  }
  std::cout << Render(options.format, all, kVersion);
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
  std::map<std::string, DiagnosticFormat> formats = {{"text", DiagnosticFormat::kText},
                                                     {"json", DiagnosticFormat::kJson},
                                                     {"github", DiagnosticFormat::kGithub},
                                                     {"sarif", DiagnosticFormat::kSarif}};
  lint->add_option("--format", options->format, "Output format: text, json, github, sarif")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  lint->add_flag("--strict", options->strict, "Treat warnings as errors (exit 1)");
  lint->add_option("--max-size", options->max_size, "Largest policy file read, in bytes")
      ->default_str(std::to_string(options->max_size));
  lint->callback([options, &exit_code] { exit_code = RunLint(*options); });
}

}  // namespace mtaroute
