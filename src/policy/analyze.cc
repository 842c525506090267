// Runs every front-end stage in order and resolves the diagnostics' locations.
#include "policy/analyze.h"

#include "policy/decode.h"
#include "policy/spf_check.h"
#include "policy/validate.h"

namespace mtaroute {

Analysis AnalyzePolicy(std::string_view file, std::string text, const ParseLimits& limits) {
  Analysis analysis;
  analysis.names = std::make_shared<NameStore>(std::move(text));
  if (std::optional<PolicyDocument> document =
          ParsePolicyDocument(analysis.names, limits, analysis.diags)) {
    Policy policy = DecodePolicy(*document, std::string(file), analysis.diags);
    ValidatePolicy(policy, analysis.diags);
    CheckSpf(policy, analysis.diags);
    analysis.policy = std::move(policy);
  }
  ResolveLocations(file, analysis.text(), analysis.diags.items());
  analysis.diags.SortByLocation();
  return analysis;
}

}  // namespace mtaroute
