// The table of generation targets: the one place to add one.
#include "emit/output.h"

namespace mtaroute {

extern const Target kPostfixTarget;
extern const Target kQmailTarget;
extern const Target kSpfTarget;

const std::vector<const Target*>& Targets() {
  static const std::vector<const Target*> kTargets = {&kPostfixTarget, &kQmailTarget, &kSpfTarget};
  return kTargets;
}

const Target* FindTarget(std::string_view name) {
  for (const Target* target : Targets()) {
    if (target->name == name) return target;
  }
  return nullptr;
}

}  // namespace mtaroute
