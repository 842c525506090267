// The whole front end in one call: parse, decode, validate, SPF rules, and locations for every
// diagnostic. Commands call this; it reads no files (the CLI hands it the text).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "diag/diagnostics.h"
#include "policy/document.h"
#include "policy/policy.h"

namespace mtaroute {

struct Analysis {
  Diagnostics diags;
  std::optional<Policy> policy;  // set when the text parsed (it may still have errors)
};

Analysis AnalyzePolicy(std::string_view file, std::string_view text, const ParseLimits& limits);

}  // namespace mtaroute
