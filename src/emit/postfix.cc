// postfix output (stub, being written).
#include "emit/output.h"

namespace mtaroute {
namespace {

std::vector<OutputFile> Emit(const Policy&, const EmitContext&) { return {}; }
std::string InstallSteps(const std::vector<std::string>&, const std::string&, const EmitContext&) {
  return {};
}

}  // namespace

extern const Target kPostfixTarget;
const Target kPostfixTarget = {"postfix", Emit, InstallSteps};

}  // namespace mtaroute
