// The templates a gen run uses: the built-in ones (templates/, embedded at build time), each
// overridden by a same-named file in --template-dir when there is one.
#pragma once

#include <string>

#include "emit/output.h"

namespace mtaroute {

// Fills context.header_template and context.main_cf_template. Returns "" or an error that
// names the template file and line (unknown placeholder, unreadable file).
std::string LoadTemplates(const std::string& template_dir, EmitContext& context);

}  // namespace mtaroute
