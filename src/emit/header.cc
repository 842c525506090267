// Header template checking and rendering.
#include "emit/header.h"

#include <algorithm>
#include <vector>

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

bool Printable(char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; }

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

std::string MissingHeaderFields(std::string_view text) {
  std::vector<std::string> missing;
  bool tool = text.find("{tool}") != std::string_view::npos ||
              text.find("mtaroute") != std::string_view::npos;
  if (!tool) missing.push_back("{tool}");
  for (std::string_view name : {"{version}", "{policy}"}) {
    if (text.find(name) == std::string_view::npos) missing.emplace_back(name);
  }
  if (missing.empty()) return {};
  return fmt::format("the header must name the tool, its version and the policy file: add {}",
                     fmt::join(missing, " and "));
}

std::string RenderHeader(std::string_view template_text, const HeaderFields& fields,
                         std::string_view comment_prefix) {
  std::string out;
  std::string line;
  auto flush = [&] {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    out += comment_prefix;
    if (!line.empty()) out += " " + line;
    out += "\n";
    line.clear();
  };
  for (std::size_t i = 0; i < template_text.size(); ++i) {
    char c = template_text[i];
    if (c == '\n') {
      flush();
      continue;
    }
    if (c == '{') {
      std::size_t close = template_text.find_first_of("}\n", i);
      if (close != std::string_view::npos && template_text[close] == '}' &&
          IsPlaceholder(template_text.substr(i + 1, close - i - 1))) {
        for (char v : Value(template_text.substr(i + 1, close - i - 1), fields)) {
          if (Printable(v)) line += v;
        }
        i = close;
        continue;
      }
      // Not a placeholder (CheckHeaderTemplate refuses it first): kept as text.
    }
    if (Printable(c)) line += c;
  }
  if (!line.empty()) flush();
  return out;
}

std::string CommentLine(std::string_view text) {
  std::string line = "#";
  if (!text.empty()) line += ' ';
  for (char c : text) {
    bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    line += control ? '?' : c;
  }
  return line + "\n";
}

std::string RouteComment(const Route& route, std::size_t index, const Policy& policy,
                         std::string_view default_name) {
  std::string what;
  if (route.relay == kDirect) {
    what = policy.default_route == kDirect
               ? "direct (normal MX delivery)"
               : fmt::format("direct (normal MX delivery, not through {})", default_name);
  } else {
    what = fmt::format("relay \"{}\"", route.relay);
  }
  std::string out = CommentLine(
      fmt::format("route {}: {}{}", index + 1, what, route.subdomains ? ", with subdomains" : ""));
  if (!route.note.empty()) out += CommentLine("note: " + route.note);
  return out;
}

RouteKeyWriter::RouteKeyWriter(const Policy& policy)
    : repeats_(!RepeatedDomains(policy).empty()) {}

void RouteKeyWriter::Write(const Route& route, std::string_view tail, TextSink& out) {
  // Policies tend to list domains in order: the names that continue the ascending run stay
  // where they are, only the others are sorted, then the two are merged. A name that breaks
  // the run after a single high one (an IDN among ASCII names) takes that one's place. For
  // sorted input that is one pass; for shuffled input about the cost of one sort.
  std::vector<std::string_view> names;
  std::vector<std::string_view> misfits;
  names.reserve(route.domains.size());
  for (const RouteDomain& domain : route.domains) {
    std::string_view name = domain.name;
    if (names.empty() || names.back() <= name) {
      names.push_back(name);
    } else if (names.size() == 1 || names[names.size() - 2] <= name) {
      misfits.push_back(names.back());
      names.back() = name;
    } else {
      misfits.push_back(name);
    }
  }
  if (!misfits.empty()) {
    std::sort(misfits.begin(), misfits.end());
    std::size_t run = names.size();
    names.insert(names.end(), misfits.begin(), misfits.end());
    std::inplace_merge(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(run),
                       names.end());
  }
  for (std::string_view name : names) {
    for (bool dot : {false, true}) {
      if (dot && !route.subdomains) continue;
      if (repeats_ && !written_.insert((dot ? "." : "") + std::string(name)).second) continue;
      if (dot) out += ".";
      out += name;
      out += tail;
    }
  }
}

}  // namespace mtaroute
