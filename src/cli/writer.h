// Writing a target's files into a directory all or nothing: every file goes to a temporary
// file in the same directory, is fsynced, and only when all are ready are they renamed into
// place and the directory fsynced. Unchanged files are left alone (mtime kept).
#pragma once

#include <string>
#include <vector>

#include "emit/output.h"

namespace mtaroute {

struct WriteResult {
  std::vector<std::string> changed;  // names written (new or different content or mode)
  std::string error;                 // "PATH: reason" when nothing was replaced
};

WriteResult WriteFiles(const std::string& dir, const std::vector<OutputFile>& files);

// The current content of DIR/NAME, or nullopt when it does not exist or cannot be read.
std::optional<std::string> ReadExisting(const std::string& dir, const std::string& name);

}  // namespace mtaroute
