// Tests for emit/header (template checks and rendering) and cli/templates (the built-in
// templates and --template-dir overrides): unknown placeholders are reported with their line,
// and whatever a template line holds, every rendered line is a comment.
#include "emit/header.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "cli/templates.h"
#include "util/embedded.h"
#include "version.h"

namespace mtaroute {
namespace {

struct CheckCase {
  std::string text;
  std::string error;  // expected error, "" when the template is fine
};

TEST_CASE("CheckHeaderTemplate reports the line of a bad placeholder", "[cli][header]") {
  const std::vector<CheckCase> cases = {
      {"plain text\n", ""},
      {"{tool} {version} {policy} {file} {target}\n", ""},
      {"", ""},
      {"ok\nsecond {nope} line\n", "2: unknown placeholder \"{nope}\"; known: {tool} {version} "
                                    "{policy} {file} {target}"},
      {"{Tool}\n", "1: unknown placeholder \"{Tool}\"; known: {tool} {version} {policy} {file} "
                   "{target}"},
      {"a\nb\nc {version\n}\n", "3: unclosed \"{\""},
      {"x {", "1: unclosed \"{\""},
      {"{}\n", "1: unknown placeholder \"{}\"; known: {tool} {version} {policy} {file} {target}"},
  };
  for (const CheckCase& c : cases) {
    INFO("template: " << c.text);
    CHECK(CheckHeaderTemplate(c.text) == c.error);
  }
}

TEST_CASE("MissingHeaderFields wants tool, version and policy", "[cli][header]") {
  CHECK(MissingHeaderFields("{tool} {version} {policy}").empty());
  CHECK(MissingHeaderFields("made by mtaroute {version} from {policy}").empty());
  CHECK(MissingHeaderFields("{tool} {policy}") ==
        "the header must name the tool, its version and the policy file: add {version}");
  CHECK(MissingHeaderFields("") == "the header must name the tool, its version and the policy "
                                   "file: add {tool} and {version} and {policy}");
}

// Every line ends in '\n' and starts with the prefix: nothing a template says is an entry.
void CheckAllComments(const std::string& out, const std::string& prefix) {
  REQUIRE(!out.empty());
  CHECK(out.back() == '\n');
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\n', start);
    std::string line = out.substr(start, end - start);
    INFO("line: " << line);
    CHECK(line.rfind(prefix, 0) == 0);
    for (char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);
    start = end + 1;
  }
}

TEST_CASE("RenderHeader makes every template line a comment", "[cli][header]") {
  HeaderFields fields{"pol\nicy.json", "transport", "postfix"};
  struct RenderCase {
    std::string name;
    std::string text;
    std::string expected;
  };
  const std::vector<RenderCase> cases = {
      {"placeholders", "{tool} {version} from {policy}: {file} for {target}\n",
       std::string("# mtaroute ") + kVersion + " from policy.json: transport for postfix\n"},
      {"an entry-looking line", "transport_maps = x\ngmail.com smtp:[evil]\n",
       "# transport_maps = x\n# gmail.com smtp:[evil]\n"},
      {"CR, CRLF and other control characters are dropped", "a\rgmail.com x\r\nb\x1b[31m\tc\n",
       "# agmail.com x\n# b[31mc\n"},
      {"blank lines and trailing blanks", "a  \n\n   \nb\t\n", "# a\n#\n#\n# b\n"},
      {"no final newline", "last", "# last\n"},
      {"text that is not a placeholder stays", "{x} and {\n", "# {x} and {\n"},
      {"a leading hash is just text", "# already\n", "# # already\n"},
  };
  for (const RenderCase& c : cases) {
    INFO(c.name);
    std::string out = RenderHeader(c.text, fields, "#");
    CHECK(out == c.expected);
    CheckAllComments(out, "#");
  }
  CheckAllComments(RenderHeader("x\ny\r\n", fields, ";"), ";");
}

TEST_CASE("The built-in templates pass their checks", "[cli][header]") {
  for (const char* name : {"header.txt", "main.cf.txt"}) {
    INFO(name);
    std::string_view text = EmbeddedFile(name);
    CHECK(!text.empty());
    CHECK(CheckHeaderTemplate(text).empty());
  }
  CHECK(MissingHeaderFields(EmbeddedFile("header.txt")).empty());
  std::string header = RenderHeader(EmbeddedFile("header.txt"), {"p.json", "f", "t"}, "#");
  CHECK(header.find("mtaroute") != std::string::npos);
  CHECK(header.find(kVersion) != std::string::npos);
  CHECK(header.find("p.json") != std::string::npos);
}

TEST_CASE("LoadTemplates takes overrides file by file and names file:line", "[cli][header]") {
  char dir_template[] = "/tmp/mtaroute-tpl-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  EmitContext context;
  CHECK(LoadTemplates("", context).empty());
  CHECK(context.header_template == EmbeddedFile("header.txt"));
  CHECK(context.main_cf_template == EmbeddedFile("main.cf.txt"));

  std::ofstream(dir + "/header.txt") << "Site X: {tool} {version} {policy}\n";
  CHECK(LoadTemplates(dir, context).empty());
  CHECK(context.header_template == "Site X: {tool} {version} {policy}\n");
  CHECK(context.main_cf_template == EmbeddedFile("main.cf.txt"));  // not overridden

  std::ofstream(dir + "/main.cf.txt") << "fine\nalso fine\n{bogus}\n";
  CHECK(LoadTemplates(dir, context) ==
        dir + "/main.cf.txt:3: unknown placeholder \"{bogus}\"; known: {tool} {version} "
              "{policy} {file} {target}");
  std::ofstream(dir + "/main.cf.txt", std::ios::trunc) << "ok\n";
  std::ofstream(dir + "/header.txt", std::ios::trunc) << "no fields\n";
  CHECK(LoadTemplates(dir, context) ==
        dir + "/header.txt: the header must name the tool, its version and the policy file: "
              "add {tool} and {version} and {policy}");
  CHECK(LoadTemplates(dir + "/nonexistent", context) ==
        "--template-dir " + dir + "/nonexistent: No such file or directory");
  CHECK(LoadTemplates(dir + "/main.cf.txt", context) ==
        "--template-dir " + dir + "/main.cf.txt: not a directory");
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace mtaroute
