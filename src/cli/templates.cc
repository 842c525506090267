// Template loading and checking for gen.
#include "cli/templates.h"

#include <fmt/format.h>

#include "cli/input.h"
#include "emit/header.h"
#include "util/embedded.h"

namespace mtaroute {
namespace {

constexpr std::size_t kMaxTemplateBytes = 64 * 1024;

std::string Load(const std::string& dir, const std::string& name, std::string& text) {
  std::string origin = "built-in " + name;
  text = std::string(EmbeddedFile(name));
  if (!dir.empty()) {
    InputFile file = ReadInputFile(dir + "/" + name, kMaxTemplateBytes);
    if (file.error.empty() && !file.too_large) {
      text = std::move(file.text);
      origin = file.name;
    } else if (file.too_large || file.error != "No such file or directory") {
      return fmt::format("template {}/{}: {}", dir, name,
                         file.too_large ? "larger than 64 KiB" : file.error);
    }
  }
  if (std::string error = CheckHeaderTemplate(text); !error.empty()) {
    return fmt::format("{}:{}", origin, error);
  }
  return {};
}

}  // namespace

std::string LoadTemplates(const std::string& template_dir, EmitContext& context) {
  if (std::string error = Load(template_dir, "header.txt", context.header_template);
      !error.empty()) {
    return error;
  }
  return Load(template_dir, "main.cf.txt", context.main_cf_template);
}

}  // namespace mtaroute
