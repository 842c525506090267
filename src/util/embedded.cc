// Lookup of embedded files by name.
#include "util/embedded.h"

namespace mtaroute {

std::string_view EmbeddedFile(std::string_view name) {
  for (const Embedded& file : EmbeddedFiles()) {
    if (file.name == name) return file.content;
  }
  return {};
}

}  // namespace mtaroute
