// Header template checking and rendering.
#include "emit/header.h"

#include <fmt/format.h>

#include "util/text.h"
#include "version.h"

namespace mtaroute {
namespace {

constexpr std::string_view kPlaceholders[] = {"tool", "version", "policy", "file", "target"};

bool IsPlaceholder(std::string_view name) {
  for (std::string_view known : kPlaceholders) {
    if (known == name) return true;
  }
  return false;
}

std::string_view Value(std::string_view name, const HeaderFields& fields) {
  if (name == "tool") return "mtaroute";
  if (name == "version") return kVersion;
  if (name == "policy") return fields.policy;
  if (name == "file") return fields.file;
  return fields.target;
}

}  // namespace

std::string CheckHeaderTemplate(std::string_view text) {
  int line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (text[i] != '{') continue;
    std::size_t close = text.find('}', i);
    std::size_t newline = text.find('\n', i);
    if (close == std::string_view::npos || close > newline) {
      return fmt::format("{}: unclosed \"{{\"", line);
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    if (!IsPlaceholder(name)) {
      return fmt::format("{}: unknown placeholder {}; known: {{tool}} {{version}} {{policy}} "
                         "{{file}} {{target}}",
                         line, Quote(text.substr(i, close - i + 1)));
    }
    i = close;
  }
  return {};
}

std::string RenderHeader(std::string_view template_text, const HeaderFields& fields,
                         std::string_view comment_prefix) {
  std::string out;
  std::string line;
  auto flush = [&] {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += comment_prefix;
    if (!line.empty()) out += " " + line;
    out += "\n";
    line.clear();
  };
  for (std::size_t i = 0; i < template_text.size(); ++i) {
    char c = template_text[i];
    if (c == '\n') {
      flush();
    } else if (c == '{') {
      std::size_t close = template_text.find('}', i);
      if (close == std::string_view::npos) break;  // CheckHeaderTemplate reports it first
      std::string_view name = template_text.substr(i + 1, close - i - 1);
      for (char v : Value(name, fields)) {
        if (static_cast<unsigned char>(v) >= 0x20 && v != 0x7f) line += v;
      }
      i = close;
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      line += c;
    }
  }
  if (!line.empty()) flush();
  return out;
}

}  // namespace mtaroute
