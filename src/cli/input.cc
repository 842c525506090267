// Implementation of bounded, non-blocking-safe policy reading.
#include "cli/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <iostream>

#include <fmt/format.h>

#include "cli/app.h"
#include "diag/render.h"

namespace mtaroute {
namespace {

// Reads at most max_bytes + 1 bytes, so that "too large" is known without reading it all.
bool ReadBounded(int fd, std::size_t max_bytes, InputFile& input) {
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      input.error = std::strerror(errno);
      return false;
    }
    if (n == 0) return true;
    input.text.append(buffer, static_cast<std::size_t>(n));
    if (input.text.size() > max_bytes) {
      input.too_large = true;
      input.text.clear();
      return false;
    }
  }
}

}  // namespace

InputFile ReadInputFile(const std::string& path, std::size_t max_bytes) {
  InputFile input;
  if (path == "-") {
    input.name = "<stdin>";
    ReadBounded(STDIN_FILENO, max_bytes, input);
    return input;
  }
  input.name = path;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    input.error = std::strerror(errno);
    return input;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    input.error = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    input.error = "is a directory";
  } else if (!S_ISREG(st.st_mode)) {
    input.error = "not a regular file";
  } else if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    input.too_large = true;
  } else {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    ReadBounded(fd, max_bytes, input);
  }
  close(fd);
  return input;
}

Diagnostic TooLargeDiagnostic(const InputFile& input, std::size_t max_bytes) {
  Diagnostic d;
  d.severity = Severity::kError;
  d.rule = "file-too-large";
  d.message = fmt::format("the policy is larger than {} bytes", max_bytes);
  d.hint = "a policy this large is unusual; raise the limit with --max-size if it is right";
  d.file = input.name;
  d.line = d.column = 1;
  return d;
}

std::optional<InputFile> ReadPolicyFile(const std::string& path, std::size_t max_bytes,
                                        int& status) {
  InputFile input = ReadInputFile(path, max_bytes);
  if (input.too_large) {
    std::cerr << RenderText({TooLargeDiagnostic(input, max_bytes)});
    status = kExitFindings;
    return std::nullopt;
  }
  if (!input.error.empty()) {
    std::cerr << fmt::format("mtaroute: cannot read {}: {}\n", path, input.error);
    status = kExitUsage;
    return std::nullopt;
  }
  return input;
}

}  // namespace mtaroute
