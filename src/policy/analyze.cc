// Runs every front-end stage in order and resolves the diagnostics' locations.
#include "policy/analyze.h"

#include "policy/decode.h"
#include "policy/spf_check.h"
#include "policy/validate.h"

namespace mtaroute {

Analysis AnalyzePolicy(std::string_view file, std::string_view text, const ParseLimits& limits) {
  Analysis analysis;
  if (std::optional<Json> document = ParseDocument(text, limits, analysis.diags)) {
    Policy policy = DecodePolicy(*document, std::string(file), analysis.diags);
    ValidatePolicy(policy, analysis.diags);
    CheckSpf(policy, analysis.diags);
    analysis.policy = std::move(policy);
  }
  ResolveLocations(file, text, analysis.diags.items());
  analysis.diags.SortByLocation();
  return analysis;
}

}  // namespace mtaroute
