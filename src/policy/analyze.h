// The whole front end in one call: parse, decode, validate, SPF rules, and locations for every
// diagnostic. Commands call this; it reads no files (the CLI hands it the text).
#pragma once

#include <memory>
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
  std::shared_ptr<NameStore> names;  // holds the text; the policy's domains point into it

  std::string_view text() const { return names->text(); }
};

// Takes the text (move it in: the policy's domains are views into it, not copies).
Analysis AnalyzePolicy(std::string_view file, std::string text, const ParseLimits& limits);

}  // namespace mtaroute
