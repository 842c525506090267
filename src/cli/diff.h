// A unified diff of two texts, for --check: what would change on the server, line by line.
// No files, no I/O: the caller reads the deployed file and names both sides.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace mtaroute {

// How a line is shown (e.g. with its secret masked); gets and returns it without its newline.
// The diff is computed on the real lines, so a line whose only change is masked still shows
// as removed and added.
using LineFilter = std::function<std::string(std::string_view line)>;

// `--- OLD_NAME` / `+++ NEW_NAME` and hunks with three lines of context, GNU diff -u style
// (`\ No newline at end of file` where a side lacks one); "" when the texts are equal.
// Minimal (Myers) up to a few thousand changed lines; beyond that the differing middle is
// shown as one replaced block, so the work stays bounded on large tables.
std::string UnifiedDiff(std::string_view old_text, std::string_view new_text,
                        std::string_view old_name, std::string_view new_name,
                        const LineFilter& shown = {});

}  // namespace mtaroute
