// Tests for cli/diff: exact hunks for hand-made cases (context, merging, missing final
// newlines, empty sides, masked lines), and, for random and large texts, that GNU patch turns
// the old text into the new one with the diff (so the hunks are valid whatever the alignment).
#include "cli/diff.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace mtaroute {
namespace {

struct Case {
  std::string name;
  std::string old_text;
  std::string new_text;
  std::string expected;  // without the ---/+++ lines
};

std::string Lines(int from, int to, const std::string& prefix = "line") {
  std::string out;
  for (int i = from; i <= to; ++i) out += prefix + std::to_string(i) + "\n";
  return out;
}

TEST_CASE("UnifiedDiff writes GNU-style hunks", "[cli][diff]") {
  const std::vector<Case> cases = {
      {"one line changed in the middle", Lines(1, 10),
       Lines(1, 4) + "changed\n" + Lines(6, 10),
       "@@ -2,7 +2,7 @@\n line2\n line3\n line4\n-line5\n+changed\n line6\n line7\n line8\n"},
      {"single-line file", "a\n", "b\n", "@@ -1 +1 @@\n-a\n+b\n"},
      {"change at the start", Lines(1, 5), "new\n" + Lines(2, 5),
       "@@ -1,4 +1,4 @@\n-line1\n+new\n line2\n line3\n line4\n"},
      {"line added at the end", Lines(1, 5), Lines(1, 6),
       "@@ -3,3 +3,4 @@\n line3\n line4\n line5\n+line6\n"},
      {"changes 6 lines apart share a hunk", Lines(1, 20),
       Lines(1, 4) + "x\n" + Lines(6, 11) + "y\n" + Lines(13, 20),
       "@@ -2,14 +2,14 @@\n line2\n line3\n line4\n-line5\n+x\n line6\n line7\n line8\n line9\n"
       " line10\n line11\n-line12\n+y\n line13\n line14\n line15\n"},
      {"changes 7 lines apart get two hunks", Lines(1, 20),
       Lines(1, 4) + "x\n" + Lines(6, 12) + "y\n" + Lines(14, 20),
       "@@ -2,7 +2,7 @@\n line2\n line3\n line4\n-line5\n+x\n line6\n line7\n line8\n"
       "@@ -10,7 +10,7 @@\n line10\n line11\n line12\n-line13\n+y\n line14\n line15\n line16\n"},
      {"old side lacks the final newline", "a\nb", "a\nb\n",
       "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
      {"new side lacks the final newline", "a\nb\n", "a\nc",
       "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"},
      {"neither side has the final newline", "a", "b",
       "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"},
      {"empty old side (a missing file)", "", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b\n"},
      {"empty new side", "a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
      {"pure deletion inside", Lines(1, 9), Lines(1, 4) + Lines(6, 9),
       "@@ -2,7 +2,6 @@\n line2\n line3\n line4\n-line5\n line6\n line7\n line8\n"},
      {"minimal: a moved line is one delete and one add", "a\nb\nc\nd\n", "b\nc\nd\na\n",
       "@@ -1,4 +1,4 @@\n-a\n b\n c\n d\n+a\n"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::string diff = UnifiedDiff(c.old_text, c.new_text, "old", "new");
    CHECK(diff == "--- old\n+++ new\n" + c.expected);
  }
}

TEST_CASE("UnifiedDiff of equal texts is empty", "[cli][diff]") {
  CHECK(UnifiedDiff("", "", "a", "b").empty());
  CHECK(UnifiedDiff("x\ny\n", "x\ny\n", "a", "b").empty());
}

TEST_CASE("UnifiedDiff shows a line whose change is masked as changed", "[cli][diff]") {
  auto mask = [](std::string_view line) {
    std::string out(line);
    if (std::size_t colon = out.find(':'); colon != std::string::npos) {
      out = out.substr(0, colon + 1) + "********";
    }
    return out;
  };
  std::string diff = UnifiedDiff("# head\nkey user:old-secret\n", "# head\nkey user:new-secret\n",
                                 "deployed", "generated", mask);
  CHECK(diff ==
        "--- deployed\n+++ generated\n@@ -1,2 +1,2 @@\n # head\n-key user:********\n"
        "+key user:********\n");
  CHECK(diff.find("secret") == std::string::npos);
}

// Applies diff to old_text with GNU patch; returns the result.
std::string Patch(const std::string& old_text, const std::string& diff) {
  char dir_template[] = "/tmp/mtaroute-diff-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/old", std::ios::binary) << old_text;
  std::ofstream(dir + "/diff", std::ios::binary) << diff;
  std::string command = "patch -s -o " + dir + "/out " + dir + "/old < " + dir + "/diff";
  int status = std::system(command.c_str());
  std::ifstream in(dir + "/out", std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  std::system(("rm -rf " + dir).c_str());
  return status == 0 ? out.str() : "patch failed";
}

TEST_CASE("GNU patch applies UnifiedDiff to random texts", "[cli][diff]") {
  std::mt19937 random(42);
  auto text = [&](int lines, int alphabet) {
    std::string out;
    for (int i = 0; i < lines; ++i) out += "l" + std::to_string(random() % alphabet) + "\n";
    if (lines > 0 && random() % 4 == 0) out.pop_back();  // no final newline
    return out;
  };
  for (int round = 0; round < 150; ++round) {
    std::string a = text(random() % 40, 1 + round % 12);
    std::string b = text(random() % 40, 1 + round % 12);
    if (a.empty() || a == b) continue;  // patch cannot create from an empty file in place
    INFO("old:\n" << a << "\nnew:\n" << b);
    std::string diff = UnifiedDiff(a, b, "old", "new");
    CHECK(Patch(a, diff) == b);
  }
}

TEST_CASE("UnifiedDiff stays small and fast on large tables", "[cli][diff]") {
  std::string old_text = Lines(1, 100000, "domain");
  std::string new_text = old_text;
  new_text.replace(new_text.find("domain500\n"), 10, "changed500\n");
  new_text.replace(new_text.find("domain99000\n"), 12, "changed99000\n");
  auto start = std::chrono::steady_clock::now();
  std::string diff = UnifiedDiff(old_text, new_text, "old", "new");
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(std::count(diff.begin(), diff.end(), '\n') == 2 + 2 * 9);  // two hunks of 9 lines
  CHECK(took < std::chrono::seconds(2));
  CHECK(Patch(old_text, diff) == new_text);

  // Beyond the edit limit the middle is one replaced block: still a valid diff.
  std::string many = old_text;
  for (std::size_t at = 0; (at = many.find("domain", at)) != std::string::npos; at += 12) {
    if (random() % 20 == 0) many.replace(at, 6, "DOMAIN");
  }
  diff = UnifiedDiff(old_text, many, "old", "new");
  CHECK(Patch(old_text, diff) == many);
}

}  // namespace
}  // namespace mtaroute
