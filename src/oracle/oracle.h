// The output oracle: parses every generated file back with a small reader per format and
// reports each line that is not a well-formed entry or a whole-line comment, and each entry
// that does not come from the policy (a transport key that is not a routed domain, a nexthop
// that is not its route's relay, a mynetworks entry outside the origins, an SPF term nobody
// asked for...), plus what the policy needs and the files lack. It shares only the model with
// the emitters: its expectations are computed here again from the SPEC and FORMATS facts.
// Used by the fuzz target (fuzz/) and, through tests/tools/oracle_check, by the Python tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emit/output.h"
#include "policy/policy.h"

namespace mtaroute {

struct OracleFinding {
  std::string file;     // the generated file's name, e.g. "transport"
  int line = 0;         // 1-based; 0 when it is about the whole file or the set of files
  std::string message;  // what is wrong, with the offending text quoted
};

// "transport:7: key "*" is a catch-all ..." (or "transport: ..." for line 0).
std::string FormatFinding(const OracleFinding& finding);

// Checks the files one `gen TARGET` run produced ("postfix", "qmail" or "spf") for a policy
// that passed every check of that target, with the context the run used (table type, config
// dir, SPF format and the passwords it read). Empty when everything holds.
std::vector<OracleFinding> CheckGeneratedFiles(const Policy& policy, std::string_view target,
                                               const EmitContext& context,
                                               const std::vector<OutputFile>& files);

}  // namespace mtaroute
