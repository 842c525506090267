// Typed access to a JSON DOM that reports type errors, unknown and missing keys with their
// pointers instead of throwing: never let nlohmann's get<T>() judge user input.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostics.h"
#include "policy/document.h"

namespace mtaroute {

class Reader {
 public:
  explicit Reader(Diagnostics& diags) : diags_(diags) {}

  Diagnostics& diags() { return diags_; }

  // Reports unknown keys (with "did you mean"), except "x-*" and, when allowed, "$schema";
  // and missing required keys. `what` names the object in messages: `relay "clean-relay"`.
  // Returns false when value is not an object (already reported).
  bool CheckObject(const Json& value, const std::string& pointer, std::string_view what,
                   const std::vector<std::string>& known,
                   std::initializer_list<std::string_view> required, bool allow_schema = false);

  bool Array(const Json& value, const std::string& pointer, std::string_view what);
  const std::string* String(const Json& value, const std::string& pointer, std::string_view what);
  std::optional<bool> Bool(const Json& value, const std::string& pointer, std::string_view what);
  // A JSON integer in [min, max]; floats, strings and out-of-range values are reported.
  std::optional<std::int64_t> Integer(const Json& value, const std::string& pointer,
                                      std::string_view what, std::int64_t min, std::int64_t max);
  // One element of an array of strings (`what` names the array), as StringArray reads it.
  const std::string* ArrayString(const Json& element, const std::string& pointer,
                                 std::string_view what);
  // An array of strings; each bad element is reported and skipped. `pointers` receives each
  // kept element's pointer.
  std::vector<std::string> StringArray(const Json& value, const std::string& pointer,
                                       std::string_view what, std::vector<std::string>* pointers);

  // A name written into configuration lines: reports rule "unsafe-character" and returns false
  // when it holds whitespace, control characters or a separator of some target format.
  bool SafeName(std::string_view text, const std::string& pointer, std::string_view what,
                std::string_view allowed = {});

  static std::string Member(const std::string& pointer, std::string_view key);
  static std::string Element(const std::string& pointer, std::size_t index);

 private:
  void TypeError(const Json& value, const std::string& pointer, std::string_view what,
                 std::string_view expected);

  Diagnostics& diags_;
};

}  // namespace mtaroute
