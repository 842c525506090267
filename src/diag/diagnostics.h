// The diagnostics sink: every stage reports {severity, rule, JSON pointer, message, hint} and
// keeps going, so one run shows every problem. Locations (file:line:col) are resolved later,
// from the pointer, only when diagnostics exist: the happy path pays nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mtaroute {

enum class Severity { kError, kWarning, kNote };

const char* SeverityName(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string rule;     // stable kebab-case id, e.g. "unknown-relay"
  std::string pointer;  // JSON pointer of the value (or member) it is about
  std::string message;  // what is wrong, with the offending input quoted
  std::string hint;     // how to fix it; may be empty
  bool at_key = false;  // point at the member's key instead of its value
  std::optional<std::size_t> offset;  // byte offset, when the parser knows it directly
  // Filled by ResolveLocations.
  std::string file;
  int line = 0;
  int column = 0;
};

class Diagnostics {
 public:
  static constexpr std::size_t kDefaultCap = 500;

  explicit Diagnostics(std::size_t cap = kDefaultCap) : cap_(cap) {}

  Diagnostic& Add(Severity severity, std::string rule, std::string pointer, std::string message,
                  std::string hint = {});
  Diagnostic& Error(std::string rule, std::string pointer, std::string message,
                    std::string hint = {}) {
    return Add(Severity::kError, std::move(rule), std::move(pointer), std::move(message),
               std::move(hint));
  }
  Diagnostic& Warning(std::string rule, std::string pointer, std::string message,
                      std::string hint = {}) {
    return Add(Severity::kWarning, std::move(rule), std::move(pointer), std::move(message),
               std::move(hint));
  }
  Diagnostic& Note(std::string rule, std::string pointer, std::string message,
                   std::string hint = {}) {
    return Add(Severity::kNote, std::move(rule), std::move(pointer), std::move(message),
               std::move(hint));
  }

  bool HasErrors() const { return errors_ > 0; }
  // True once the cap is reached: what is added now is only counted, so callers can skip
  // building an expensive message or pointer.
  bool Full() const { return items_.size() >= cap_; }
  std::size_t errors() const { return errors_; }
  std::size_t warnings() const { return warnings_; }
  std::size_t dropped() const { return dropped_; }
  std::vector<Diagnostic>& items() { return items_; }
  const std::vector<Diagnostic>& items() const { return items_; }

  // Orders by position (line, column), then severity; stable for equal positions.
  void SortByLocation();

 private:
  std::size_t cap_;
  std::vector<Diagnostic> items_;
  Diagnostic overflow_;  // receives what is reported past the cap
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace mtaroute
