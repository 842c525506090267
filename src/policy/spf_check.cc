// SPF rules over the decoded policy.
#include "policy/spf_check.h"

#include <map>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {

void CheckSpf(const Policy& policy, Diagnostics& diags) {
  std::map<std::string, const SpfEntry*> seen;
  for (const SpfEntry& entry : policy.spf) {
    if (!entry.domain.name.empty()) {
      auto [it, inserted] = seen.emplace(entry.domain.name, &entry);
      if (!inserted) {
        diags.Error("duplicate-spf-domain", entry.pointer + "/domain",
                    fmt::format("SPF domain {} already has a record at {}; two SPF records at "
                                "one name are a permanent error",
                                Quote(entry.domain.name), it->second->pointer),
                    "merge the two entries into one");
      }
    }
    if (entry.all == "+all" || entry.all == "all") {
      diags.Error("spf-plus-all", entry.pointer + "/all",
                  fmt::format("{} lets every host on the Internet send as {}", Quote(entry.all),
                              Quote(entry.domain.name)),
                  "use \"~all\" (soft fail) or \"-all\" (fail)");
    } else if (entry.all != "~all" && entry.all != "-all" && entry.all != "?all") {
      diags.Error("bad-spf-all", entry.pointer + "/all",
                  fmt::format("{} is not an SPF \"all\" term", Quote(entry.all)),
                  "use \"~all\", \"-all\" or \"?all\"");
    }
  }
}

}  // namespace mtaroute
