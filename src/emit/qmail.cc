// qmail output (stub, being written).
#include "emit/output.h"

namespace mtaroute {
namespace {

std::vector<OutputFile> Emit(const Policy&, const EmitContext&) { return {}; }
std::string InstallSteps(const std::vector<std::string>&, const std::string&, const EmitContext&) {
  return {};
}

}  // namespace

extern const Target kQmailTarget;
const Target kQmailTarget = {"qmail", Emit, InstallSteps};

}  // namespace mtaroute
