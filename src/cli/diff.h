// A unified diff of two texts, for --check: what would change on the server, line by line.
#pragma once

#include <string>
#include <string_view>

namespace mtaroute {

// `--- OLD_NAME` / `+++ NEW_NAME` and hunks with three lines of context; "" when equal.
std::string UnifiedDiff(std::string_view old_text, std::string_view new_text,
                        std::string_view old_name, std::string_view new_name);

}  // namespace mtaroute
