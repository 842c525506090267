// Each subcommand registers itself on the app and stores its exit status when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace mtaroute {

void AddLintCommand(CLI::App& app, int& exit_code);
void AddSchemaCommand(CLI::App& app, int& exit_code);
void AddGenCommand(CLI::App& app, int& exit_code);
void AddInitCommand(CLI::App& app, int& exit_code);
void AddRouteCommand(CLI::App& app, int& exit_code);
void AddTriageCommand(CLI::App& app, int& exit_code);

}  // namespace mtaroute
