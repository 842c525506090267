// Checks across the decoded policy: relay references, duplicate domains, relay settings that
// work against each other, and what stock qmail cannot do. SPF rules live in spf_check.h.
#pragma once

#include "diag/diagnostics.h"
#include "policy/policy.h"

namespace mtaroute {

// How to report what stock qmail cannot do: a warning for lint, an error for gen qmail.
enum class QmailCheck { kWarn, kError };

void ValidatePolicy(const Policy& policy, Diagnostics& diags);

// What stock qmail-remote cannot do with this relay ("an IPv6 host, SMTP AUTH"), or "" when
// it can. The qmail emitter uses it too, so it never writes a line qmail would get wrong.
std::string QmailLimitation(const Relay& relay);

// One diagnostic per route (and for the default, and per IPv6 origin network) that stock
// qmail-remote / ucspi-tcp cannot carry out.
void CheckQmailSupport(const Policy& policy, QmailCheck mode, Diagnostics& diags);

}  // namespace mtaroute
