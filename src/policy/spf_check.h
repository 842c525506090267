// The SPF rules of lint, over the records that gen spf would publish: term syntax
// (bad-spf-mechanism, host-bits-set, spf-duplicate-modifier, spf-redirect-ignored), the
// 10-lookup limit (spf-too-many-lookups), record size (spf-record-too-long), duplicate domains,
// "+all" and its disguises, self-includes, "ptr", relays without egress, and addresses that
// never send mail on the Internet (spf-special-address). Term building is in spf_record.h.
#pragma once

#include "diag/diagnostics.h"
#include "policy/policy.h"

namespace mtaroute {

void CheckSpf(const Policy& policy, Diagnostics& diags);

}  // namespace mtaroute
