// Files embedded into the binary at build time (templates/ and the JSON Schema), by
// cmake/embed.cmake, so the binary needs no data directory at run time.
#pragma once

#include <string_view>
#include <vector>

namespace mtaroute {

struct Embedded {
  std::string_view name;
  std::string_view content;
};

const std::vector<Embedded>& EmbeddedFiles();

// The content of the embedded file with this name; empty when there is none.
std::string_view EmbeddedFile(std::string_view name);

}  // namespace mtaroute
