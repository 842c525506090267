// Writing a target's files into a directory all or nothing, and reading them back for --check.
// Every changed file goes to a temporary file in the directory (mode, owner, content, fsync);
// the existing files are hard-linked to backups; only then is each renamed into place, and a
// failed rename restores the ones already replaced. Unchanged files are left alone (mtime kept).
// It does not remove files that a policy no longer generates.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emit/output.h"

namespace mtaroute {

struct WriteResult {
  std::vector<std::string> changed;  // names written (new, or different content or mode)
  std::string error;    // "PATH: reason"; empty on success
  bool partial = false; // with error: a rollback failed, the directory holds a mix (see error)
  std::string warning;  // on success: the files are in place but may not be durable yet
  std::string notice;   // backups of an earlier failed run that were kept (one per line)
};

// Test seam: called before each file-system step with its name ("mkdir", "open-dir", "lock",
// "create", "chmod", "chown", "write", "fsync", "link", "rename", "fsync-dir", and
// "restore" when a rollback puts a file back) and the
// path it is about; a non-zero return is taken as that step's errno. Production passes none.
using FaultInjector = std::function<int(std::string_view step, const std::string& path)>;

// Writes `files` into `dir` (created, mode 0755, when it does not exist, and removed again if
// the run fails; its parent must exist).
// Modes: 0600 for secret files, 0644 for the others; an existing file keeps its owner and
// group. Refuses, before writing anything, names that are directories, symbolic links or other
// non-regular files, and runs that overlap another mtaroute run on the same directory (flock).
// Leftover temporary files of an earlier run that was killed are removed first.
WriteResult WriteFiles(const std::string& dir, const std::vector<OutputFile>& files,
                       const FaultInjector& fault = {});

struct ExistingFile {
  std::optional<std::string> content;  // nullopt when it does not exist (or is not a file)
  std::string problem;  // why it is not a readable regular file: "missing", "is a directory"...
  bool unreadable = false;  // it exists but could not be read (permissions, I/O)
  unsigned mode = 0;        // permission bits, when content is set
};

// The current content of DIR/NAME for --check.
ExistingFile ReadExisting(const std::string& dir, const std::string& name);

}  // namespace mtaroute
