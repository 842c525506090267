// What every emitter produces and gets: generated files as text with their properties, and
// the context (header template, target options, secrets read by the CLI). Emitters are pure
// functions from the model to text: no files, no clock, no failure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace mtaroute {

struct OutputFile {
  std::string name;     // file name inside --out DIR, e.g. "transport"
  std::string content;  // exact bytes, LF line ends, ending in a newline
  bool secret = false;  // mode 0600; masked on stdout and in diffs unless --only asks for it
  bool postmap = false; // a Postfix lookup table that needs `postmap TYPE:FILE`
  // For secret files: the text with every secret replaced by "********", applied to the
  // generated and to the deployed file alike (stdout, --check diffs).
  std::string (*mask)(std::string_view text) = nullptr;
};

struct EmitContext {
  std::string policy_file;      // as named on the command line, for headers
  std::string header_template;  // templates/header.txt or its --template-dir override
  std::string main_cf_template; // templates/main.cf.txt or its override (Postfix)
  // Postfix
  std::string config_dir = "/etc/postfix";
  std::string table_type = "hash";
  std::map<std::string, std::string> passwords;  // relay name -> password, read by the CLI
  // SPF
  std::string spf_format = "zone";
};

// A generation target: the files it makes for a policy, and how to install them.
struct Target {
  std::string_view name;
  std::vector<OutputFile> (*emit)(const Policy& policy, const EmitContext& context);
  // Shell commands that install what changed (file names from `changed`) from out_dir.
  std::string (*install_steps)(const std::vector<std::string>& changed, const std::string& out_dir,
                               const EmitContext& context);
};

// The one place to add a target (like ninja's kTools[]).
const std::vector<const Target*>& Targets();
const Target* FindTarget(std::string_view name);

}  // namespace mtaroute
