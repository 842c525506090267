// Builds the CLI11 app, runs the chosen subcommand, and maps parse errors to exit status 2.
#include "cli/app.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "version.h"

namespace mtaroute {

int RunCli(int argc, char** argv) {
  CLI::App app{
      "mtaroute: route mail for chosen recipient domains through relays, from one linted JSON "
      "policy, for Postfix, qmail and SPF.",
      "mtaroute"};
  app.set_version_flag("--version", std::string("mtaroute ") + kVersion);
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 clean, 1 errors found (or drift with --check), 2 usage error or "
      "unreadable input.\nRun 'mtaroute COMMAND --help' for a command's options.");
  int exit_code = kExitOk;
  AddLintCommand(app, exit_code);
  AddGenCommand(app, exit_code);
  AddSchemaCommand(app, exit_code);
  AddInitCommand(app, exit_code);
  AddRouteCommand(app, exit_code);
  AddTriageCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace mtaroute
