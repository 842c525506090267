// Template loading and checking for gen: the embedded template, or the same-named file in
// --template-dir; checked before any output is made, so a bad template writes nothing.
#include "cli/templates.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/input.h"
#include "emit/header.h"
#include "util/embedded.h"

namespace mtaroute {
namespace {

constexpr std::size_t kMaxTemplateBytes = 64 * 1024;

// text = the template NAME; its origin ("DIR/NAME" or "built-in NAME") names it in errors.
std::string Load(const std::string& dir, const std::string& name, std::string& text) {
  std::string origin = "built-in " + name;
  text = std::string(EmbeddedFile(name));
  std::string path = dir + "/" + name;
  struct stat st {};
  if (!dir.empty() && lstat(path.c_str(), &st) == 0) {
    InputFile file = ReadInputFile(path, kMaxTemplateBytes);
    if (!file.error.empty() || file.too_large) {
      return fmt::format("template {}: {}", path,
                         file.too_large ? "larger than 64 KiB" : file.error);
    }
    text = std::move(file.text);
    origin = path;
  } else if (!dir.empty() && errno != ENOENT) {
    return fmt::format("template {}: {}", path, std::strerror(errno));
  }
  if (std::string error = CheckHeaderTemplate(text); !error.empty()) {
    return fmt::format("{}:{}", origin, error);
  }
  if (name == "header.txt") {
    if (std::string error = MissingHeaderFields(text); !error.empty()) {
      return fmt::format("{}: {}", origin, error);
    }
  }
  return {};
}

}  // namespace

std::string LoadTemplates(const std::string& template_dir, EmitContext& context) {
  if (!template_dir.empty()) {
    struct stat st {};
    if (stat(template_dir.c_str(), &st) != 0) {
      return fmt::format("--template-dir {}: {}", template_dir, std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
      return fmt::format("--template-dir {}: not a directory", template_dir);
    }
  }
  if (std::string error = Load(template_dir, "header.txt", context.header_template);
      !error.empty()) {
    return error;
  }
  return Load(template_dir, "main.cf.txt", context.main_cf_template);
}

}  // namespace mtaroute
