// `mtaroute schema`: prints the policy's JSON Schema (draft-07), embedded at build time.
#include <iostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "util/embedded.h"

namespace mtaroute {

void AddSchemaCommand(CLI::App& app, int& exit_code) {
  CLI::App* schema = app.add_subcommand("schema", "Print the JSON Schema of the policy file.");
  schema->callback([&exit_code] {
    std::cout << EmbeddedFile("policy.schema.json");
    exit_code = kExitOk;
  });
}

}  // namespace mtaroute
