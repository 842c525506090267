// Unit tests for policy/document: parsing with comments, exact error positions, duplicate
// keys, limits, and the lazy pointer -> line:column resolution.
#include <catch2/catch.hpp>

#include "policy/document.h"

namespace mtaroute {
namespace {

struct Located {
  std::string rule;
  int line;
  int column;
  std::string pointer;
};

std::vector<Located> Parse(const std::string& text, ParseLimits limits = {}) {
  Diagnostics diags;
  ParseDocument(text, limits, diags);
  ResolveLocations("p.json", text, diags.items());
  std::vector<Located> out;
  for (const Diagnostic& d : diags.items()) out.push_back({d.rule, d.line, d.column, d.pointer});
  return out;
}

TEST_CASE("ParseDocument accepts comments and reports syntax errors where they are",
          "[document]") {
  struct Case {
    std::string text;
    std::string rule;  // "" = parses cleanly
    int line;
    int column;
  };
  const std::vector<Case> cases = {
      {"{\"version\": 1}", "", 0, 0},
      {"// comment\n{\"version\": 1 /* inline */}\n", "", 0, 0},
      {"{\"version\": 1,}", "json-syntax", 1, 15},
      {"{\n  \"a\": 1\n  \"b\": 2\n}", "json-syntax", 3, 3},
      {"{\"a\": \"x\x01\"}", "json-syntax", 1, 9},
      {"{\"a\": 'x'}", "json-syntax", 1, 7},
      {"{\"a\": \"\xff\"}", "json-syntax", 1, 8},
      {"", "json-syntax", 1, 1},
      {"{\"a\": 1} x", "json-syntax", 1, 10},
      {"{\"ü\": tru}", "json-syntax", 1, 7},
      {"{\"a\": [1 2]}", "json-syntax", 1, 10},
      {"{\"a\": 1", "json-syntax", 1, 8},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    std::vector<Located> found = Parse(c.text);
    if (c.rule.empty()) {
      CHECK(found.empty());
      continue;
    }
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == c.rule);
    CHECK(found[0].line == c.line);
    CHECK(found[0].column == c.column);
  }
}

TEST_CASE("ParseDocument reports duplicate keys at the second key and keeps the first",
          "[document]") {
  const std::string text = "{\n  \"routes\": [1],\n  \"x\": {\"a\": 1, \"a\": {\"b\": 2}},\n"
                           "  \"routes\": []\n}";
  Diagnostics diags;
  std::optional<Json> doc = ParseDocument(text, {}, diags);
  ResolveLocations("p.json", text, diags.items());
  REQUIRE(doc);
  CHECK((*doc)["routes"] == Json::array({1}));
  CHECK((*doc)["x"]["a"] == 1);
  REQUIRE(diags.items().size() == 2);  // sorted by position below
  diags.SortByLocation();
  CHECK(diags.items()[0].rule == "duplicate-key");
  CHECK(diags.items()[0].pointer == "/x/a");
  CHECK(diags.items()[0].line == 3);
  CHECK(diags.items()[0].column == 17);
  CHECK(diags.items()[1].pointer == "/routes");
  CHECK(diags.items()[1].line == 4);
  CHECK(diags.items()[1].column == 3);
}

TEST_CASE("ParseDocument stops at its limits with one diagnostic", "[document]") {
  ParseLimits limits;
  limits.max_depth = 4;
  limits.max_string_bytes = 8;
  std::vector<Located> deep = Parse("[[[[[1]]]]]", limits);
  REQUIRE(deep.size() == 1);
  CHECK(deep[0].rule == "too-deep");
  CHECK(deep[0].column == 5);
  std::vector<Located> long_string = Parse("{\"k\": \"123456789\"}", limits);
  REQUIRE(long_string.size() == 1);
  CHECK(long_string[0].rule == "string-too-long");
  CHECK(long_string[0].column == 7);
  std::string very_deep(200000, '[');
  CHECK(Parse(very_deep).at(0).rule == "too-deep");
}

TEST_CASE("ResolveLocations finds values and keys by pointer", "[document]") {
  const std::string text =
      "// c\n{\n  \"relays\": {\"r~1\": {\"host\": \"h\", \"port\": -25}},\n"
      "  \"routes\": [ {\"domains\": [\"a\", \"b\\\"c\"]}, true, null, 1.5e3 ]\n}";
  struct Case {
    std::string pointer;
    bool at_key;
    int line;
    int column;
  };
  const std::vector<Case> cases = {
      {"", false, 2, 1},
      {"/relays", false, 3, 13},
      {"/relays", true, 3, 3},
      {"/relays/r~01", false, 3, 21},  // key "r~1" escaped as r~01
      {"/relays/r~01/host", false, 3, 30},
      {"/relays/r~01/host", true, 3, 22},
      {"/relays/r~01/port", false, 3, 43},
      {"/routes/0/domains/0", false, 4, 28},
      {"/routes/0/domains/1", false, 4, 33},
      {"/routes/1", false, 4, 43},
      {"/routes/2", false, 4, 49},
      {"/routes/3", false, 4, 55},
      {"/routes/9/missing", false, 4, 13},  // falls back to the nearest existing parent
  };
  Diagnostics diags;
  REQUIRE(ParseDocument(text, {}, diags));
  for (const Case& c : cases) diags.Error("r", c.pointer, "m").at_key = c.at_key;
  ResolveLocations("p.json", text, diags.items());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].pointer << (cases[i].at_key ? " (key)" : ""));
    CHECK(diags.items()[i].line == cases[i].line);
    CHECK(diags.items()[i].column == cases[i].column);
  }
}

}  // namespace
}  // namespace mtaroute
