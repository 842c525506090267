// Renders resolved diagnostics for people (text), for programs (json), for GitHub Actions
// workflow commands (github) and for code-scanning tools (SARIF 2.1.0).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostics.h"

namespace mtaroute {

enum class DiagnosticFormat { kText, kJson, kGithub, kSarif };

// `policy.json:12:7: error: message [rule]` and, when there is a hint, `  hint: ...`.
// With color, ANSI SGR as GCC does it: the location bold, the severity bold red (error),
// magenta (warning) or cyan (note), "hint:" bold green; the words stay the same.
std::string RenderText(const std::vector<Diagnostic>& diagnostics, bool color = false);
std::string RenderGithub(const std::vector<Diagnostic>& diagnostics);
std::string RenderJson(const std::vector<Diagnostic>& diagnostics);
std::string RenderSarif(const std::vector<Diagnostic>& diagnostics, std::string_view version);

// color applies to the text format only.
std::string Render(DiagnosticFormat format, const std::vector<Diagnostic>& diagnostics,
                   std::string_view version, bool color = false);

}  // namespace mtaroute
