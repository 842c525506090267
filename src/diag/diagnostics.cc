// Implementation of the diagnostics sink.
#include "diag/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace mtaroute {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

Diagnostic& Diagnostics::Add(Severity severity, std::string rule, std::string pointer,
                             std::string message, std::string hint) {
  if (severity == Severity::kError) ++errors_;
  if (severity == Severity::kWarning) ++warnings_;
  if (items_.size() >= cap_) {
    ++dropped_;
    overflow_ = Diagnostic{};
    return overflow_;
  }
  Diagnostic& d = items_.emplace_back();
  d.severity = severity;
  d.rule = std::move(rule);
  d.pointer = std::move(pointer);
  d.message = std::move(message);
  d.hint = std::move(hint);
  return d;
}

void Diagnostics::SortByLocation() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace mtaroute
