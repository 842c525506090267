// Small text helpers shared by every layer: quoting untrusted input for messages, spelling
// suggestions, and the characters that could inject a line or a field into an output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mtaroute {

// `"text"` with control and non-ASCII-printable bytes escaped (\n, \t, \xNN) and cut to
// max_bytes with "..." so a hostile string cannot flood or forge a message line.
std::string Quote(std::string_view text, std::size_t max_bytes = 60);

// Levenshtein distance, for "did you mean".
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to word, or "" when none is close enough to be a plausible typo.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// Describes the first character that must never appear in a name that is written into a
// configuration line (whitespace, control characters, '#', ':', '[', ']', '@', '"', '\\',
// ',', '='), e.g. `a line feed (U+000A) at byte 10`; "" when there is none. Characters in
// `allowed` are accepted (relay user names may be mail addresses: "@").
std::string FindUnsafeCharacter(std::string_view text, std::string_view allowed = {});

// The 1-based line and column (in code points) of a byte offset.
struct LineColumn {
  int line = 1;
  int column = 1;
};
LineColumn OffsetToLineColumn(std::string_view text, std::size_t offset);

// Escapes a JSON Pointer reference token (RFC 6901): '~' -> "~0", '/' -> "~1".
std::string PointerToken(std::string_view key);

// For the printed install steps: TEXT as one shell word (single-quoted unless it is made of
// safe characters only).
std::string ShellQuote(std::string_view text);

// PATH without trailing slashes ("/" stays "/"), and DIR/FILE without a doubled slash.
std::string WithoutTrailingSlash(std::string path);
std::string JoinPath(std::string_view dir, std::string_view file);

}  // namespace mtaroute
