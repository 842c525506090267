// `mtaroute triage [--policy POLICY] [--format text|json] LOG...`: why mail bounces, grouped
// by domain, provider and reason, whether a relay helps, and the routes to add. Streams each
// log once. Exit 0 with a report, 1 when the policy has errors, 2 for unreadable input.
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "diag/render.h"
#include "policy/analyze.h"
#include "triage/line_reader.h"
#include "triage/log_parser.h"
#include "triage/policy_view.h"
#include "triage/report.h"

namespace mtaroute {
namespace {

struct TriageOptions {
  std::vector<std::string> logs;
  std::string policy;
  std::string format = "text";
  int year = 0;
};

YearRule MakeYearRule(int year) {
  YearRule rule;
  rule.year = year;
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  rule.now = static_cast<std::int64_t>(now) + local.tm_gmtoff;  // local wall clock
  return rule;
}

// Reads and checks the policy; prints diagnostics when it has errors. Exit status or -1.
int LoadPolicy(const std::string& path, std::optional<Policy>& policy) {
  ParseLimits limits;
  int status = 0;
  std::optional<InputFile> read = ReadPolicyFile(path, limits.max_file_bytes, status);
  if (!read) return status;
  InputFile& input = *read;
  Analysis analysis = AnalyzePolicy(input.name, std::move(input.text), limits);
  if (analysis.diags.HasErrors() || !analysis.policy) {
    std::cerr << RenderText(analysis.diags.items());
    std::cerr << fmt::format(
        "mtaroute: {} has errors; fix them (mtaroute lint) and run triage "
        "again\n",
        input.name);
    return kExitFindings;
  }
  policy = std::move(analysis.policy);
  return -1;
}

// Streams one log into triage. False when it could not be read (a message was printed).
bool ReadLog(const std::string& path, LogParser& parser, Triage& triage, Report& report) {
  LineReader reader;
  std::string name = path == "-" ? "<stdin>" : path;
  if (!reader.Open(path)) {
    std::cerr << fmt::format("mtaroute: cannot read {}: {}\n", name, reader.error());
    return false;
  }
  Delivery delivery;
  bool ok = reader.ForEachLine([&](std::string_view line) {
    if (parser.Parse(line, delivery)) triage.Add(delivery);
  });
  report.lines += reader.lines();
  ++report.files;
  if (!ok) {
    std::cerr << fmt::format("mtaroute: error reading {} after {} lines: {}\n", name,
                             reader.lines(), reader.error());
  }
  if (reader.truncated()) {
    std::cerr << fmt::format(
        "mtaroute: warning: {} ends in the middle of its compressed data; "
        "read what was there{}\n",
        name, reader.dropped_cut_line() ? " but the unfinished last line" : "");
  }
  if (ok && reader.lines() == 0) {
    // An empty rotated log, or a FIFO that no program writes to (read without blocking).
    std::cerr << fmt::format("mtaroute: warning: {}: no lines read\n", name);
  }
  if (reader.long_lines() > 0) {
    std::cerr << fmt::format("mtaroute: warning: {}: skipped {} lines longer than {} bytes\n", name,
                             reader.long_lines(), LineReader::kMaxLine);
  }
  return ok;
}

int RunTriage(const TriageOptions& options) {
  std::optional<Policy> policy;
  if (!options.policy.empty()) {
    if (int status = LoadPolicy(options.policy, policy); status >= 0) return status;
  }
  static const Classifier classifier;
  Triage triage(classifier, policy ? RelayTargets(*policy) : std::vector<RelayTarget>{});
  LogParser parser(MakeYearRule(options.year));
  Report counts;
  bool unreadable = false;
  for (const std::string& path : options.logs) {
    unreadable = !ReadLog(path, parser, triage, counts) || unreadable;
  }
  if (triage.untracked() > 0) {
    std::cerr << fmt::format(
        "mtaroute: warning: more than {} recipient domains: {} deliveries to the others count "
        "in the totals and in failure groups, but not in a group's sent mail\n",
        Triage::kMaxDomains, triage.untracked());
  }
  Report report = BuildReport(triage, classifier, policy ? &*policy : nullptr);
  report.files = counts.files;
  report.lines = counts.lines;
  std::cout << (options.format == "json" ? RenderJsonReport(report) : RenderTextReport(report));
  return unreadable ? kExitUsage : kExitOk;
}

}  // namespace

void AddTriageCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TriageOptions>();
  CLI::App* triage = app.add_subcommand(
      "triage",
      "Read Postfix, Exim and qmail logs (plain or .gz), group bounces and deferrals by "
      "domain, provider and reason, say whether a relay helps, and propose routes.");
  triage
      ->add_option("LOG", options->logs,
                   "Log files, oldest first ('-' for standard input; .gz read directly)")
      ->required();
  triage->add_option("--policy", options->policy,
                     "Policy to compare with: routes in place, relay success, proposed routes");
  std::map<std::string, std::string> formats = {{"text", "text"}, {"json", "json"}};
  triage->add_option("--format", options->format, "Output format: text, json")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  triage
      ->add_option("--year", options->year,
                   "Year of syslog stamps without one (default: this year, or last year for "
                   "dates after today)")
      ->check(CLI::Range(1970, 9999));
  triage->callback([options, &exit_code] { exit_code = RunTriage(*options); });
}

}  // namespace mtaroute
