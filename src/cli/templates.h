// The templates a gen run uses: the built-in ones (templates/, embedded at build time), each
// overridden by a same-named file in --template-dir when there is one.
#pragma once

#include <string>

#include "emit/output.h"

namespace mtaroute {

// Fills context.header_template and context.main_cf_template. Returns "" or an error that
// names the template file and line: an unknown placeholder or unclosed "{" (FILE:LINE: ...), a
// header.txt that does not name the tool, {version} and {policy}, an unreadable template, a
// --template-dir that is missing or not a directory. Files it does not know are ignored.
std::string LoadTemplates(const std::string& template_dir, EmitContext& context);

}  // namespace mtaroute
