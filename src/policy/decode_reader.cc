// Implementation of the typed, reporting JSON reader.
#include "policy/decode_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

std::string TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::string: return "a string";
    case Json::value_t::number_float: return "a decimal number";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "a number";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    default: return "a value";
  }
}

}  // namespace

std::string Reader::Member(const std::string& pointer, std::string_view key) {
  return pointer + "/" + PointerToken(key);
}

std::string Reader::Element(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

void Reader::TypeError(const Json& value, const std::string& pointer, std::string_view what,
                       std::string_view expected) {
  diags_.Error("type-mismatch", pointer,
               fmt::format("{} must be {}, not {}", what, expected, TypeName(value)));
}

bool Reader::CheckObject(const Json& value, const std::string& pointer, std::string_view what,
                         const std::vector<std::string>& known,
                         std::initializer_list<std::string_view> required, bool allow_schema) {
  if (!value.is_object()) {
    TypeError(value, pointer, what, "an object");
    return false;
  }
  for (const auto& [key, member] : value.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (key.rfind("x-", 0) == 0 || (allow_schema && key == "$schema")) continue;
    std::string suggestion = Suggest(key, known);
    std::string message = fmt::format("unknown key {} in {}", Quote(key), what);
    if (!suggestion.empty()) message += fmt::format(" (did you mean {}?)", Quote(suggestion));
    diags_
        .Error("unknown-key", Member(pointer, key), message,
               fmt::format("known keys: {}; keys starting with \"x-\" are ignored",
                           fmt::join(known, ", ")))
        .at_key = true;
  }
  for (std::string_view key : required) {
    if (!value.contains(key)) {
      diags_.Error("missing-key", pointer, fmt::format("{} has no {}", what, Quote(key)));
    }
  }
  return true;
}

bool Reader::Array(const Json& value, const std::string& pointer, std::string_view what) {
  if (value.is_array()) return true;
  TypeError(value, pointer, what, "an array");
  return false;
}

const std::string* Reader::String(const Json& value, const std::string& pointer,
                                  std::string_view what) {
  if (!value.is_string()) {
    TypeError(value, pointer, what, "a string");
    return nullptr;
  }
  return value.get_ptr<const std::string*>();
}

std::optional<bool> Reader::Bool(const Json& value, const std::string& pointer,
                                 std::string_view what) {
  if (!value.is_boolean()) {
    TypeError(value, pointer, what, "true or false");
    return std::nullopt;
  }
  return value.get<bool>();
}

std::optional<std::int64_t> Reader::Integer(const Json& value, const std::string& pointer,
                                            std::string_view what, std::int64_t min,
                                            std::int64_t max) {
  if (!value.is_number_integer()) {  // true for signed and unsigned, false for 25.0
    TypeError(value, pointer, what, fmt::format("a whole number from {} to {}", min, max));
    return std::nullopt;
  }
  std::int64_t number = 0;
  bool in_range = false;
  if (value.is_number_unsigned()) {
    std::uint64_t u = value.get<std::uint64_t>();
    in_range = max >= 0 && u <= static_cast<std::uint64_t>(max) &&
               static_cast<std::int64_t>(u) >= min;
    number = static_cast<std::int64_t>(u);
  } else {
    number = value.get<std::int64_t>();
    in_range = number >= min && number <= max;
  }
  if (!in_range) {
    diags_.Error("out-of-range", pointer,
                 fmt::format("{} {} is out of range ({} to {})", what, value.dump(), min, max));
    return std::nullopt;
  }
  return number;
}

std::vector<std::string> Reader::StringArray(const Json& value, const std::string& pointer,
                                             std::string_view what,
                                             std::vector<std::string>* pointers) {
  std::vector<std::string> out;
  if (!value.is_array()) {
    TypeError(value, pointer, what, "an array of strings");
    return out;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string element = Element(pointer, i);
    if (const std::string* text = ArrayString(value[i], element, what)) {
      out.push_back(*text);
      if (pointers) pointers->push_back(element);
    }
  }
  return out;
}

const std::string* Reader::ArrayString(const Json& element, const std::string& pointer,
                                       std::string_view what) {
  return String(element, pointer, fmt::format("each of {}", what));
}

bool Reader::SafeName(std::string_view text, const std::string& pointer, std::string_view what,
                      std::string_view allowed) {
  std::string problem = FindUnsafeCharacter(text, allowed);
  if (problem.empty()) return true;
  diags_.Error("unsafe-character", pointer,
               fmt::format("{} {} contains {}", what, Quote(text), problem),
               "names are written into configuration lines: whitespace, control characters "
               "and separators would change their meaning");
  return false;
}

}  // namespace mtaroute
