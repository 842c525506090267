// Implementation of the text helpers: quoting, edit distance, unsafe characters, positions.
#include "util/text.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace mtaroute {

namespace {
// Characters that look like nothing or like a plain space: shown escaped, never raw.
constexpr std::pair<std::string_view, std::string_view> kInvisible[] = {
    {"\xc2\x85", "\\u0085"},      {"\xc2\xa0", "\\u00a0"},      {"\xe2\x80\x8b", "\\u200b"},
    {"\xe2\x80\xa8", "\\u2028"}, {"\xe2\x80\xa9", "\\u2029"}, {"\xe3\x80\x80", "\\u3000"},
    {"\xef\xbb\xbf", "\\ufeff"},
};

// The length of the valid UTF-8 sequence at text[i], or 0 when it is not valid.
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 && c >= 0xc2 ? 2 : (c >> 4) == 0xe ? 3
                                  : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}
}  // namespace

std::string Quote(std::string_view text, std::size_t max_bytes) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    if (i >= max_bytes) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = Utf8Length(text, i);
    std::string_view escaped;
    for (const auto& [raw, shown] : kInvisible) {
      if (text.substr(i, raw.size()) == raw) escaped = shown;
    }
    if (!escaped.empty()) {
      out += escaped;
    } else if (n == 0) {
      out += fmt::format("\\x{:02x}", c);  // invalid UTF-8: keep every output valid
      n = 1;
    } else if (n > 1) {
      out.append(text.substr(i, n));
    } else {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    i += n;
  }
  return out + "\"";
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  // Like ninja's SpellcheckString: a small absolute budget, scaled for long words.
  const std::size_t budget = std::max<std::size_t>(2, word.size() / 3);
  std::string best;
  std::size_t best_distance = budget + 1;
  for (const std::string& candidate : candidates) {
    // The distance is at least the difference in length: skip what cannot beat the best.
    std::size_t longer = std::max(word.size(), candidate.size());
    if (longer - std::min(word.size(), candidate.size()) >= best_distance) continue;
    std::size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

namespace {

std::string DescribeByte(unsigned char c) {
  switch (c) {
    case ' ': return "a space";
    case '\t': return "a tab (U+0009)";
    case '\n': return "a line feed (U+000A)";
    case '\r': return "a carriage return (U+000D)";
    case '\f': return "a form feed (U+000C)";
    case '\v': return "a vertical tab (U+000B)";
    default: break;
  }
  if (c < 0x20 || c == 0x7f) return fmt::format("a control character (U+{:04X})", c);
  return fmt::format("\"{}\"", static_cast<char>(c));
}

// One table lookup per byte: this runs on every domain of a million-domain policy.
constexpr std::array<bool, 256> MakeUnsafeTable() {
  std::array<bool, 256> table{};
  for (int c = 0; c <= 0x20; ++c) table[c] = true;
  table[0x7f] = true;
  for (unsigned char c : std::string_view("#:[]@\"\\,=")) table[c] = true;
  return table;
}
constexpr std::array<bool, 256> kUnsafeByte = MakeUnsafeTable();

bool IsUnsafeByte(unsigned char c) { return kUnsafeByte[c]; }

// Unicode white space and line separators that some tools treat as line breaks.
std::string_view UnsafeSequence(std::string_view text, std::size_t i) {
  static constexpr std::string_view kSequences[] = {
      "\xc2\x85",      // U+0085 next line
      "\xc2\xa0",      // U+00A0 no-break space
      "\xe2\x80\xa8",  // U+2028 line separator
      "\xe2\x80\xa9",  // U+2029 paragraph separator
      "\xe3\x80\x80",  // U+3000 ideographic space
      "\xef\xbb\xbf",  // U+FEFF byte order mark
  };
  for (std::string_view seq : kSequences) {
    if (text.substr(i, seq.size()) == seq) return seq;
  }
  return {};
}

}  // namespace

std::string FindUnsafeCharacter(std::string_view text, std::string_view allowed) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (IsUnsafeByte(c) && allowed.find(static_cast<char>(c)) == std::string_view::npos) return fmt::format("{} at byte {}", DescribeByte(c), i + 1);
    if (c >= 0xc2 && !UnsafeSequence(text, i).empty()) {
      return fmt::format("a Unicode space or line separator at byte {}", i + 1);
    }
  }
  return {};
}

LineColumn OffsetToLineColumn(std::string_view text, std::size_t offset) {
  LineColumn lc;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++lc.line;
      lc.column = 1;
    } else if ((c & 0xc0) != 0x80) {  // count code points, not continuation bytes
      ++lc.column;
    }
  }
  return lc;
}

std::string PointerToken(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {
bool IsShellSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_./:@%+,-").find(c) != std::string_view::npos;
}
}  // namespace

std::string ShellQuote(std::string_view text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), IsShellSafe)) {
    return std::string(text);
  }
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string JoinPath(std::string_view dir, std::string_view file) {
  return fmt::format("{}{}{}", dir, dir == "/" ? "" : "/", file);
}

}  // namespace mtaroute
