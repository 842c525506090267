// oracle_check: the output oracle (src/oracle/oracle.h) for tests that run the real binary.
// `oracle_check [--target T] [--spf-format F] [--table-type T] [--config-dir D] POLICY DIR`
// reads POLICY like `gen` does (passwords too, when DIR has a sasl_passwd), takes every file
// in DIR as the output of one `gen TARGET --out DIR` run (the target and SPF format are
// guessed from the file names unless given), and prints one line per finding.
// Exit 0: every file holds; 1: findings; 2: usage error, unreadable or refused policy.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/input.h"
#include "cli/secrets.h"
#include "diag/render.h"
#include "oracle/oracle.h"
#include "policy/analyze.h"

namespace {

constexpr const char* kUsage =
    "usage: oracle_check [--target postfix|qmail|spf] [--spf-format zone|txt|json]\n"
    "                    [--table-type T] [--config-dir D] POLICY DIR\n";

struct Options {
  std::string target, spf_format, table_type = "hash", config_dir = "/etc/postfix";
  std::string policy, dir;
};

bool ParseArgs(int argc, char** argv, Options& options) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string* value = arg == "--target"       ? &options.target
                         : arg == "--spf-format" ? &options.spf_format
                         : arg == "--table-type" ? &options.table_type
                         : arg == "--config-dir" ? &options.config_dir
                                                 : nullptr;
    if (value) {
      if (++i == argc) return false;
      *value = argv[i];
    } else if (arg.starts_with("--")) {
      return false;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return false;
  options.policy = positional[0];
  options.dir = positional[1];
  return true;
}

// Every entry of DIR (hidden ones too: a left-over temporary file is a finding).
std::vector<mtaroute::OutputFile> ReadDir(const std::string& dir, std::string& error) {
  std::vector<mtaroute::OutputFile> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    mtaroute::OutputFile file;
    file.name = entry.path().filename().string();
    struct stat st {};
    if (lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      file.content = "";  // not a regular file: the oracle reports it by name
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      file.content = text.str();
    }
    file.secret = (st.st_mode & 0077) == 0;
    files.push_back(std::move(file));
  }
  if (ec) error = ec.message();
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return files;
}

std::string GuessTarget(const std::vector<mtaroute::OutputFile>& files, std::string& spf_format) {
  for (const auto& file : files) {
    if (file.name == "transport" || file.name == "main.cf") return "postfix";
    if (file.name == "smtproutes" || file.name == "tcp.smtp") return "qmail";
    if (file.name.starts_with("spf.")) {
      if (spf_format.empty()) spf_format = file.name.substr(4);
      return "spf";
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mtaroute;
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::cerr << kUsage;
    return 2;
  }
  std::string error;
  std::vector<OutputFile> files = ReadDir(options.dir, error);
  if (!error.empty()) {
    std::cerr << "oracle_check: cannot read " << options.dir << ": " << error << "\n";
    return 2;
  }
  if (options.target.empty()) options.target = GuessTarget(files, options.spf_format);
  if (options.target.empty()) {
    std::cerr << "oracle_check: no generated file in " << options.dir << "; give --target\n";
    return 2;
  }
  InputFile input = ReadInputFile(options.policy, ParseLimits{}.max_file_bytes);
  if (!input.error.empty() || input.too_large) {
    std::cerr << "oracle_check: cannot read " << options.policy << "\n";
    return 2;
  }
  Analysis analysis = AnalyzePolicy(input.name, input.text, ParseLimits{});
  if (!analysis.policy || analysis.diags.HasErrors()) {
    std::cerr << "oracle_check: the policy has errors; gen would have refused it\n"
              << RenderText(analysis.diags.items());
    return 2;
  }
  EmitContext context;
  context.policy_file = input.name;
  context.table_type = options.table_type;
  context.config_dir = options.config_dir;
  context.spf_format = options.spf_format.empty() ? "zone" : options.spf_format;
  bool has_sasl = std::any_of(files.begin(), files.end(),
                              [](const OutputFile& f) { return f.name == "sasl_passwd"; });
  if (options.target == "postfix" && has_sasl) {
    Diagnostics diags;
    context.passwords = ReadRelaySecrets(*analysis.policy, diags);
    if (diags.HasErrors()) {
      std::cerr << "oracle_check: cannot read the relay passwords the way gen does\n"
                << RenderText(diags.items());
      return 2;
    }
  }
  std::vector<OracleFinding> findings =
      CheckGeneratedFiles(*analysis.policy, options.target, context, files);
  for (const OracleFinding& finding : findings) {
    std::cout << options.dir << "/" << FormatFinding(finding) << "\n";
  }
  if (!findings.empty()) return 1;
  std::cout << "oracle: " << files.size() << " " << options.target << " file"
            << (files.size() == 1 ? "" : "s") << " checked, every line holds\n";
  return 0;
}
