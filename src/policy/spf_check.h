// The SPF rules of lint: record syntax, the 10-lookup limit, record size, duplicate domains,
// "+all", and addresses that must not stand in a public record.
#pragma once

#include "diag/diagnostics.h"
#include "policy/policy.h"

namespace mtaroute {

void CheckSpf(const Policy& policy, Diagnostics& diags);

}  // namespace mtaroute
