// Parses the policy text (JSON with // and /* */ comments) into a nlohmann DOM, reporting
// syntax errors, duplicate keys (which nlohmann would silently collapse) and size limits with
// exact byte offsets. ResolveLocations later maps JSON pointers back to file:line:col by
// rescanning the text, so locations cost nothing unless a diagnostic needs one.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "diag/diagnostics.h"
#include "policy/policy.h"

namespace mtaroute {

using Json = nlohmann::json;

struct ParseLimits {
  std::size_t max_file_bytes = 64u << 20;  // the CLI's --max-size raises it
  std::size_t max_depth = 64;              // a policy is 5 levels deep
  std::size_t max_string_bytes = 4096;     // a domain is at most 253 bytes, a note one line
};

// The DOM, or nullopt when the text is not JSON (a syntax error or a limit was reported).
// Duplicate keys are reported as errors; the first value is kept.
std::optional<Json> ParseDocument(std::string_view text, const ParseLimits& limits,
                                  Diagnostics& diags);

// A route's "domains" array as ParsePolicyDocument keeps it, out of the DOM: its strings as
// written (views into the text where they hold no escape), and every other element with its
// index, for the decoder to report.
struct DomainArray {
  DomainList strings;
  std::deque<std::pair<std::size_t, Json>> others;
  std::size_t count = 0;  // elements in all
};

// The DOM of everything but the routes' "domains" arrays: each of those stands in it as a
// binary value (which JSON text never yields) whose subtype indexes domain_arrays.
struct PolicyDocument {
  Json root;
  std::deque<DomainArray> domain_arrays;
  std::shared_ptr<NameStore> names;  // holds the text
};

// ParseDocument for a whole policy, over names->text(): a million domains become a million
// 8-byte entries, not a million DOM strings.
std::optional<PolicyDocument> ParsePolicyDocument(std::shared_ptr<NameStore> names,
                                                  const ParseLimits& limits, Diagnostics& diags);

// Fills file, line and column of every diagnostic: from its offset when set, else from its
// pointer (the member's key when at_key, else the value). Unknown pointers fall back to their
// nearest existing parent.
void ResolveLocations(std::string_view file, std::string_view text,
                      std::vector<Diagnostic>& diagnostics);

}  // namespace mtaroute
