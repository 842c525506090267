// The header every generated file starts with, from a template with {placeholders}, written
// as whole-line comments of the target format whatever the template says.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "emit/output.h"
#include "policy/policy.h"

namespace mtaroute {

struct HeaderFields {
  std::string_view policy;  // the policy file as named on the command line
  std::string_view file;    // the generated file's name
  std::string_view target;  // postfix, qmail, spf
};

// The placeholders a header template may use: {tool} {version} {policy} {file} {target}.
// Returns "" when the template is fine, else `LINE: unknown placeholder "{x}"`-style text.
std::string CheckHeaderTemplate(std::string_view text);

// "" when a header template names the tool ({tool} or the word mtaroute), {version} and
// {policy}, as every generated file's header must; else what to add. (Not for main.cf.txt.)
std::string MissingHeaderFields(std::string_view text);

// Every template line becomes `PREFIX line` (PREFIX "#" for Postfix and qmail, ";" for zone
// files; a space before non-empty text), whatever the line holds: control characters (CR, tab,
// escape...) are dropped, in the template and in the values, so no line can end the comment
// and start an entry; trailing blanks are trimmed. Text that is not a known placeholder
// stays as it is. A template without a final newline still ends its last line.
std::string RenderHeader(std::string_view template_text, const HeaderFields& fields,
                         std::string_view comment_prefix);

// A whole-line "#" comment (Postfix tables, main.cf, smtproutes, tcp.smtp): control
// characters in `text` become '?', so the comment can never end early and start an entry.
std::string CommentLine(std::string_view text);

// The comment lines that head route `index`'s entries: its relay (or direct, which under a
// relay default bypasses `default_name`: "the relayhost", "the default relay"), subdomains,
// and its note.
std::string RouteComment(const Route& route, std::size_t index, const Policy& policy,
                         std::string_view default_name);

// Writes the lookup keys of routes (transport, smtproutes): inside a route its domains
// sorted, each `domain` and, with subdomains, `.domain`, followed by the route's `tail`
// (" smtp:[relay]:587\n", ":relay:587\n"). Each key once, the first route keeping it:
// Postfix keeps the first of two keys (and warns), qmail-remote the last. That costs nothing
// when no domain repeats, the only case lint lets through to gen.
class RouteKeyWriter {
 public:
  explicit RouteKeyWriter(const Policy& policy);
  void Write(const Route& route, std::string_view tail, TextSink& out);

 private:
  bool repeats_;
  std::set<std::string, std::less<>> written_;  // only when a domain repeats
};

}  // namespace mtaroute
