// Implementation of the colour decision.
#include "cli/color.h"

#include <unistd.h>

#include <cstdlib>

namespace mtaroute {
namespace {

bool EnvSet(const char* name, std::string_view* value = nullptr) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return false;
  if (value != nullptr) *value = text;
  return true;
}

}  // namespace

ColorMode ParseColorMode(std::string_view name) {
  if (name == "always") return ColorMode::kAlways;
  if (name == "never") return ColorMode::kNever;
  return ColorMode::kAuto;
}

bool UseColor(ColorMode mode, int fd) {
  switch (mode) {
    case ColorMode::kAlways: return true;
    case ColorMode::kNever: return false;
    case ColorMode::kAuto: break;
  }
  if (EnvSet("NO_COLOR")) return false;
  std::string_view term;
  if (EnvSet("TERM", &term) && term == "dumb") return false;
  return isatty(fd) == 1;
}

}  // namespace mtaroute
