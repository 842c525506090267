// Unit tests for util/text: quoting, suggestions, unsafe characters, positions.
#include <catch2/catch.hpp>

#include "util/text.h"

namespace mtaroute {
namespace {

TEST_CASE("Quote escapes control bytes and truncates", "[text]") {
  struct Case {
    std::string input;
    std::size_t max;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"gmail.com", 60, "\"gmail.com\""},
      {"a\nb", 60, "\"a\\nb\""},
      {"a\tb\r", 60, "\"a\\tb\\r\""},
      {std::string("a\0b", 3), 60, "\"a\\x00b\""},
      {"say \"hi\"", 60, "\"say \\\"hi\\\"\""},
      {"back\\slash", 60, "\"back\\\\slash\""},
      {"abcdef", 3, "\"abc...\""},
      {"\x7f", 60, "\"\\x7f\""},
      {"bücher", 60, "\"bücher\""},
  };
  for (const Case& c : cases) {
    INFO(c.input);
    CHECK(Quote(c.input, c.max) == c.expected);
  }
}

TEST_CASE("Suggest finds plausible typos only", "[text]") {
  const std::vector<std::string> keys = {"host", "port", "mx", "tls", "auth", "egress"};
  struct Case {
    std::string word;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"prot", "port"}, {"hots", "host"}, {"tsl", "tls"},       {"egres", "egress"},
      {"Host", "host"}, {"xyzzy", ""},    {"password", ""},     {"authh", "auth"},
  };
  for (const Case& c : cases) {
    INFO(c.word);
    CHECK(Suggest(c.word, keys) == c.expected);
  }
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(EditDistance("", "abc") == 3);
}

TEST_CASE("FindUnsafeCharacter names the first dangerous character", "[text]") {
  struct Case {
    std::string input;
    std::string allowed;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"gmail.com", "", ""},
      {"gmail.com\n* smtp:[evil]", "", "a line feed (U+000A) at byte 10"},
      {"a b", "", "a space at byte 2"},
      {"a\tb", "", "a tab (U+0009) at byte 2"},
      {"a\rb", "", "a carriage return (U+000D) at byte 2"},
      {std::string("a\0b", 3), "", "a control character (U+0000) at byte 2"},
      {"a#b", "", "\"#\" at byte 2"},
      {"a:b", "", "\":\" at byte 2"},
      {"[a]", "", "\"[\" at byte 1"},
      {"u@example.com", "", "\"@\" at byte 2"},
      {"u@example.com", "@", ""},
      {"a\"b", "", "\"\"\" at byte 2"},
      {"a\\b", "", "\"\\\" at byte 2"},
      {"a,b", "", "\",\" at byte 2"},
      {"a=b", "", "\"=\" at byte 2"},
      {"a\xe2\x80\xa8" "b", "", "a Unicode space or line separator at byte 2"},
      {"a\xc2\xa0" "b", "", "a Unicode space or line separator at byte 2"},
      {"bücher.example", "", ""},
  };
  for (const Case& c : cases) {
    INFO(Quote(c.input));
    CHECK(FindUnsafeCharacter(c.input, c.allowed) == c.expected);
  }
}

TEST_CASE("OffsetToLineColumn counts lines and code points", "[text]") {
  const std::string text = "ab\ncd\nü x";
  struct Case {
    std::size_t offset;
    int line;
    int column;
  };
  const std::vector<Case> cases = {
      {0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 3, 1}, {8, 3, 2}, {9, 3, 3}, {99, 3, 4},
  };
  for (const Case& c : cases) {
    INFO(c.offset);
    LineColumn lc = OffsetToLineColumn(text, c.offset);
    CHECK(lc.line == c.line);
    CHECK(lc.column == c.column);
  }
  CHECK(PointerToken("a/b~c") == "a~1b~0c");
}

}  // namespace
}  // namespace mtaroute
