// Decodes the parsed document into the Policy model: types, keys, canonical names and
// networks, and every character that could inject a line into an output. Reports each
// problem with its JSON pointer and keeps going; cross-references are checked by Validate.
#pragma once

#include <string>

#include "diag/diagnostics.h"
#include "policy/document.h"
#include "policy/policy.h"

namespace mtaroute {

// Always returns a policy: the parts that decoded cleanly, so that later checks still run.
// Takes the routes' domains out of the document.
Policy DecodePolicy(PolicyDocument& document, std::string file, Diagnostics& diags);

}  // namespace mtaroute
