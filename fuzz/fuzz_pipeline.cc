// The whole pipeline under one fuzz input: parse, decode, validate and locate (AnalyzePolicy),
// render the diagnostics in every format, and, when the policy has no error, run every emitter
// of every target the way `gen` would (qmail only when gen qmail accepts the policy) with a
// fixed EmitContext holding fake passwords, then hold each output to the oracle
// (src/oracle/oracle.h). Any finding aborts with the input's findings on stderr; crashes,
// sanitizer reports and hangs are libFuzzer's to catch. Built two ways (fuzz/CMakeLists.txt):
// as a libFuzzer binary (clang) and as a replay tool that runs saved inputs (any compiler).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli/templates.h"
#include "diag/render.h"
#include "emit/output.h"
#include "oracle/oracle.h"
#include "policy/analyze.h"
#include "policy/validate.h"

namespace mtaroute {
namespace {

// A password with what sasl_passwd must carry through: ':' and a space.
constexpr std::string_view kFakePassword = "fuzz:pass word\xc3\xa9!";

EmitContext BaseContext(const Policy& policy) {
  EmitContext context;
  context.policy_file = "fuzz.json";
  LoadTemplates("", context);  // the built-in templates
  for (const Relay& relay : policy.relays) {
    if (relay.auth) context.passwords[relay.name] = std::string(kFakePassword);
  }
  return context;
}

// The contexts `gen TARGET` can run with that change what is written.
std::vector<EmitContext> Contexts(std::string_view target, const EmitContext& base) {
  std::vector<EmitContext> contexts;
  if (target == "postfix") {
    for (const char* type : {"hash", "texthash"}) {
      EmitContext c = base;
      c.table_type = type;
      contexts.push_back(c);
    }
    contexts.back().config_dir = "/etc/postfix/mtaroute/";
  } else if (target == "spf") {
    for (const char* format : {"zone", "txt", "json"}) {
      EmitContext c = base;
      c.spf_format = format;
      contexts.push_back(c);
    }
  } else {
    contexts.push_back(base);
  }
  return contexts;
}

[[noreturn]] void Fail(std::string_view text, std::string_view target,
                       const std::vector<std::string>& problems) {
  std::fprintf(stderr, "\n==== oracle failure, gen %.*s, input (%zu bytes):\n%.*s\n====\n",
               static_cast<int>(target.size()), target.data(), text.size(),
               static_cast<int>(text.size()), text.data());
  for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
  std::abort();
}

// What `gen` adds to lint for a target (cli/gen.cc CheckPolicy): qmail's limits are errors.
bool TargetAccepts(const Policy& policy, std::string_view target) {
  if (target != "qmail") return true;
  Diagnostics qmail;
  CheckQmailSupport(policy, QmailCheck::kError, qmail);
  return !qmail.HasErrors();
}

void CheckTarget(std::string_view text, const Policy& policy, const Target& target) {
  if (!TargetAccepts(policy, target.name)) return;
  for (const EmitContext& context : Contexts(target.name, BaseContext(policy))) {
    std::vector<OutputFile> files = target.emit(policy, context);
    std::vector<std::string> problems;
    for (const OracleFinding& finding : CheckGeneratedFiles(policy, target.name, context, files)) {
      problems.push_back(FormatFinding(finding));
    }
    for (const OutputFile& file : files) {
      // What stdout and --check diffs show of a secret file must not hold the password.
      if (file.secret && file.mask &&
          file.mask(file.content).find(kFakePassword) != std::string::npos) {
        problems.push_back(file.name + ": the masked text still shows the password");
      }
    }
    if (!problems.empty()) Fail(text, target.name, problems);
  }
}

}  // namespace
}  // namespace mtaroute

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtaroute;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Analysis analysis = AnalyzePolicy("fuzz.json", std::string(text), ParseLimits{});
  for (DiagnosticFormat format : {DiagnosticFormat::kText, DiagnosticFormat::kJson,
                                  DiagnosticFormat::kGithub, DiagnosticFormat::kSarif}) {
    std::string rendered = Render(format, analysis.diags.items(), "0.0.0-fuzz");
    (void)rendered;
  }
  if (!analysis.policy || analysis.diags.HasErrors()) return 0;
  for (const Target* target : Targets()) CheckTarget(text, *analysis.policy, *target);
  return 0;
}
