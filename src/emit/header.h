// The header every generated file starts with, from a template with {placeholders}, written
// as whole-line comments of the target format whatever the template says.
#pragma once

#include <string>
#include <string_view>

namespace mtaroute {

struct HeaderFields {
  std::string_view policy;  // the policy file as named on the command line
  std::string_view file;    // the generated file's name
  std::string_view target;  // postfix, qmail, spf
};

// The placeholders a header template may use: {tool} {version} {policy} {file} {target}.
// Returns "" when the template is fine, else `LINE: unknown placeholder "{x}"`-style text.
std::string CheckHeaderTemplate(std::string_view text);

// Every template line becomes `PREFIX line` ("# " for Postfix and qmail, "; " for zone files);
// control characters are dropped so no line can escape the comment.
std::string RenderHeader(std::string_view template_text, const HeaderFields& fields,
                         std::string_view comment_prefix);

}  // namespace mtaroute
