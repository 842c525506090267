// Reading a policy file for a command: only regular files (never block on a FIFO or read a
// directory), "-" for standard input, and a size limit checked before the text is parsed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "diag/diagnostics.h"

namespace mtaroute {

struct InputFile {
  std::string name;   // as given; "<stdin>" for "-"
  std::string text;
  std::string error;  // why it could not be read (exit 2), or empty
  bool too_large = false;  // read refused because of the size limit (a diagnostic, exit 1)
};

InputFile ReadInputFile(const std::string& path, std::size_t max_bytes);

// The file-too-large finding for an input that ReadInputFile refused by its size: every
// command reports it the same way (exit 1).
Diagnostic TooLargeDiagnostic(const InputFile& input, std::size_t max_bytes);

// The one policy of gen, route and triage --policy: the file, or nullopt after printing why
// not on stderr, with `status` set to the exit code (1 too large, 2 unreadable).
std::optional<InputFile> ReadPolicyFile(const std::string& path, std::size_t max_bytes,
                                        int& status);

}  // namespace mtaroute
