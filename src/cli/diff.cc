// Line diff: common prefix and suffix are trimmed, the middle is aligned by Myers' greedy
// O((N+M)D) algorithm when D (the number of inserted plus deleted lines) is at most kMaxEdits,
// and replaced as a whole block otherwise (bounded time and memory on large tables).
#include "cli/diff.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace mtaroute {
namespace {

constexpr std::size_t kContext = 3;
constexpr int kMaxEdits = 2000;  // the trace then holds at most kMaxEdits^2 ints (16 MB)

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

// The shortest edit script between a and b (line ids), or nullopt when it is longer than
// kMaxEdits. ' ' keeps a line of a, '-' deletes one of a, '+' inserts one of b.
std::optional<std::vector<char>> Myers(const std::vector<int>& a, const std::vector<int>& b) {
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  const int cap = std::min(n + m, kMaxEdits);
  const int offset = cap + 1;
  std::vector<int> v(2 * static_cast<std::size_t>(cap) + 3, 0);
  std::vector<std::vector<int>> trace;  // trace[d]: v[-d..d] before step d
  int last = -1;
  for (int d = 0; d <= cap && last < 0; ++d) {
    trace.emplace_back(v.begin() + offset - d, v.begin() + offset + d + 1);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                  ? v[offset + k + 1]
                  : v[offset + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        last = d;
        break;
      }
    }
  }
  if (last < 0) return std::nullopt;
  std::vector<char> ops;
  int x = n, y = m;
  for (int d = last; d > 0; --d) {
    const std::vector<int>& prev = trace[d];  // v[-d..d] after step d - 1, at index k + d
    int k = x - y;
    bool down = k == -d || (k != d && prev[k - 1 + d] < prev[k + 1 + d]);
    int prev_k = down ? k + 1 : k - 1;
    int prev_x = prev[prev_k + d];
    int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) ops.push_back(' '), --x, --y;
    ops.push_back(down ? '+' : '-');
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) ops.push_back(' '), --x, --y;
  std::reverse(ops.begin(), ops.end());
  return ops;
}

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
  // The middle, with each distinct line as a small integer.
  std::unordered_map<std::string_view, int> ids;
  std::vector<int> ia, ib;
  for (std::size_t i = prefix; i < a.size() - suffix; ++i) {
    ia.push_back(ids.emplace(a[i], static_cast<int>(ids.size())).first->second);
  }
  for (std::size_t j = prefix; j < b.size() - suffix; ++j) {
    ib.push_back(ids.emplace(b[j], static_cast<int>(ids.size())).first->second);
  }
  std::size_t i = prefix, j = prefix;
  if (std::optional<std::vector<char>> ops = Myers(ia, ib)) {
    for (char op : *ops) {
      edits.push_back({op, op == '+' ? b[j] : a[i]});
      if (op != '+') ++i;
      if (op != '-') ++j;
    }
  } else {
    for (; i < a.size() - suffix; ++i) edits.push_back({'-', a[i]});
    for (; j < b.size() - suffix; ++j) edits.push_back({'+', b[j]});
  }
  for (std::size_t s = a.size() - suffix; s < a.size(); ++s) edits.push_back({' ', a[s]});
  return edits;
}

void AppendLine(std::string& out, const Edit& edit, const LineFilter& shown) {
  std::string_view line = edit.line;
  bool newline = !line.empty() && line.back() == '\n';
  if (newline) line.remove_suffix(1);
  out += edit.op;
  out += shown ? shown(line) : std::string(line);
  out += newline ? "\n" : "\n\\ No newline at end of file\n";
}

// The end of the hunk that starts with the change at `first`: changes closer than
// 2 * kContext + 1 unchanged lines share a hunk; then kContext lines of context.
std::size_t HunkEnd(const std::vector<Edit>& edits, std::size_t first) {
  std::size_t last_change = first;
  for (std::size_t i = first + 1; i < edits.size() && i - last_change <= 2 * kContext + 1; ++i) {
    if (edits[i].op != ' ') last_change = i;
  }
  return std::min(edits.size(), last_change + 1 + kContext);
}

// GNU diff's spelling: "7" for one line, "7,3" for more, "6,0" (the line before) for none.
std::string Range(std::size_t line, std::size_t count) {
  if (count == 1) return fmt::format("{}", line);
  return fmt::format("{},{}", count == 0 ? line - 1 : line, count);
}

}  // namespace

std::string UnifiedDiff(std::string_view old_text, std::string_view new_text,
                        std::string_view old_name, std::string_view new_name,
                        const LineFilter& shown) {
  if (old_text == new_text) return {};
  std::vector<Edit> edits = Align(SplitLines(old_text), SplitLines(new_text));
  std::string out = fmt::format("--- {}\n+++ {}\n", old_name, new_name);
  std::size_t old_line = 1, new_line = 1;  // line numbers of edits[k]
  std::size_t k = 0;
  auto advance = [&](std::size_t to) {
    for (; k < to; ++k) {
      if (edits[k].op != '+') ++old_line;
      if (edits[k].op != '-') ++new_line;
    }
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    if (edits[i].op == ' ') continue;
    std::size_t start = i >= kContext ? i - kContext : 0;
    std::size_t end = HunkEnd(edits, i);
    advance(start);
    std::size_t old_count = 0, new_count = 0;
    for (std::size_t h = start; h < end; ++h) {
      if (edits[h].op != '+') ++old_count;
      if (edits[h].op != '-') ++new_count;
    }
    out += fmt::format("@@ -{} +{} @@\n", Range(old_line, old_count), Range(new_line, new_count));
    for (std::size_t h = start; h < end; ++h) AppendLine(out, edits[h], shown);
    advance(end);
    i = end - 1;
  }
  return out;
}

}  // namespace mtaroute
