// Reading relay passwords for gen postfix, from the file or environment variable the policy
// names. Only the CLI reads secrets; lint never does (CI has none).
#pragma once

#include <map>
#include <string>

#include "diag/diagnostics.h"
#include "policy/policy.h"

namespace mtaroute {

// Passwords of every used relay with auth, by relay name. Problems are reported on the
// relay's auth pointer: missing file or variable, empty secret, a line break inside it (it
// would inject a line into sasl_passwd), and (a warning) a file readable by others.
std::map<std::string, std::string> ReadRelaySecrets(const Policy& policy, Diagnostics& diags);

}  // namespace mtaroute
