// Line diff: common prefix and suffix are trimmed, the middle is aligned by a longest common
// subsequence when it is small enough, and replaced as a whole block otherwise (bounded work
// on large tables).
#include "cli/diff.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace mtaroute {
namespace {

constexpr std::size_t kContext = 3;
constexpr std::size_t kMaxCells = 4u << 20;  // LCS table limit for the differing middle

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::size_t take = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(0, take));
    text.remove_prefix(take);
  }
  return lines;
}

struct Edit {
  char op;  // ' ', '-', '+'
  std::string_view line;
};

std::vector<Edit> Align(const std::vector<std::string_view>& a,
                        const std::vector<std::string_view>& b) {
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Edit> edits;
  for (std::size_t i = 0; i < prefix; ++i) edits.push_back({' ', a[i]});
  std::size_t n = a.size() - prefix - suffix;
  std::size_t m = b.size() - prefix - suffix;
  if ((n + 1) * (m + 1) <= kMaxCells) {
    std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        lcs[i][j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1][j + 1] + 1
                                                   : std::max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    std::size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
        edits.push_back({' ', a[prefix + i++]});
        ++j;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        edits.push_back({'+', b[prefix + j++]});
      } else {
        edits.push_back({'-', a[prefix + i++]});
      }
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) edits.push_back({'-', a[prefix + i]});
    for (std::size_t j = 0; j < m; ++j) edits.push_back({'+', b[prefix + j]});
  }
  for (std::size_t i = a.size() - suffix; i < a.size(); ++i) edits.push_back({' ', a[i]});
  return edits;
}

void AppendLine(std::string& out, char op, std::string_view line) {
  out += op;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

}  // namespace

std::string UnifiedDiff(std::string_view old_text, std::string_view new_text,
                        std::string_view old_name, std::string_view new_name) {
  if (old_text == new_text) return {};
  std::vector<Edit> edits = Align(SplitLines(old_text), SplitLines(new_text));
  std::string out = fmt::format("--- {}\n+++ {}\n", old_name, new_name);
  std::size_t k = 0;
  while (k < edits.size()) {
    while (k < edits.size() && edits[k].op == ' ') ++k;
    if (k == edits.size()) break;
    std::size_t start = k >= kContext ? k - kContext : 0;
    std::size_t end = k;  // extend while changes are within 2 * context of each other
    for (std::size_t gap = 0; end < edits.size() && gap <= 2 * kContext; ++end) {
      gap = edits[end].op == ' ' ? gap + 1 : 0;
    }
    while (end > k && edits[end - 1].op == ' ') --end;
    end = std::min(edits.size(), end + kContext);
    std::size_t old_line = 1, new_line = 1;
    for (std::size_t i = 0; i < start; ++i) {
      if (edits[i].op != '+') ++old_line;
      if (edits[i].op != '-') ++new_line;
    }
    std::size_t old_count = 0, new_count = 0;
    for (std::size_t i = start; i < end; ++i) {
      if (edits[i].op != '+') ++old_count;
      if (edits[i].op != '-') ++new_count;
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", old_count ? old_line : old_line - 1, old_count,
                       new_count ? new_line : new_line - 1, new_count);
    for (std::size_t i = start; i < end; ++i) AppendLine(out, edits[i].op, edits[i].line);
    k = end;
  }
  return out;
}

}  // namespace mtaroute
