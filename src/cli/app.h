// The command line: one CLI11 app with a subcommand per source pair in cli/.
#pragma once

namespace mtaroute {

// Exit status: 0 clean, 1 errors found or drift, 2 usage error or unreadable input.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;

int RunCli(int argc, char** argv);

}  // namespace mtaroute
