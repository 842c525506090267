// `mtaroute gen TARGET POLICY`: every lint check first, then the target's files to stdout,
// to one file (--only), into a directory all or nothing (--out), or compared with a
// directory (--check). Nothing is written when any error is found.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/diff.h"
#include "cli/input.h"
#include "cli/secrets.h"
#include "cli/templates.h"
#include "cli/writer.h"
#include "diag/render.h"
#include "emit/output.h"
#include "policy/analyze.h"
#include "policy/validate.h"
#include "util/text.h"

namespace mtaroute {
namespace {

struct GenOptions {
  std::string target;
  std::string policy;
  std::string out_dir;
  std::string only;
  bool check = false;
  std::string table_type = "hash";
  std::string config_dir = "/etc/postfix";
  std::string spf_format = "zone";
  std::string template_dir;
  std::size_t max_size = ParseLimits{}.max_file_bytes;
};

// Lint, plus what only this target refuses; prints diagnostics to stderr. False on errors.
bool CheckPolicy(const GenOptions& options, const std::string& name, Analysis& analysis) {
  Diagnostics& diags = analysis.diags;
  // qmail's limits are warnings in lint; for gen qmail they are errors, elsewhere noise.
  std::erase_if(diags.items(), [](const Diagnostic& d) { return d.rule == "qmail-unsupported"; });
  if (options.target == "qmail" && analysis.policy) {
    Diagnostics qmail;
    CheckQmailSupport(*analysis.policy, QmailCheck::kError, qmail);
    ResolveLocations(name, analysis.text(), qmail.items());
    for (Diagnostic& d : qmail.items()) diags.Add(d.severity, d.rule, d.pointer, d.message, d.hint) = d;
    diags.SortByLocation();
  }
  std::cerr << RenderText(diags.items());
  return !diags.HasErrors() && analysis.policy;
}

// Secrets are read only when sasl_passwd will really be produced or compared.
bool ReadSecrets(const GenOptions& options, const std::string& name, const Analysis& analysis,
                 EmitContext& context) {
  const Policy& policy = *analysis.policy;
  if (options.target != "postfix" || (!options.only.empty() && options.only != "sasl_passwd")) {
    return true;
  }
  Diagnostics diags;
  context.passwords = ReadRelaySecrets(policy, diags);
  ResolveLocations(name, analysis.text(), diags.items());
  std::cerr << RenderText(diags.items());
  return !diags.HasErrors();
}

std::string Shown(const OutputFile& file, std::string_view text) {
  return file.mask ? file.mask(text) : std::string(text);
}

int PrintAll(const std::vector<OutputFile>& files) {
  if (files.size() == 1 && !files[0].secret) {
    std::cout << files[0].content;
    return kExitOk;
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i > 0) std::cout << "\n";
    std::cout << fmt::format("# ==> {} <=={}\n", files[i].name,
                             files[i].secret ? " (secrets masked; --only shows them)" : "");
    std::cout << Shown(files[i], files[i].content);
  }
  return kExitOk;
}

// A streamed --only file: written on in blocks as it is made (a million-line transport).
int Finish(TextSink& out) {
  if (out.Flush() && std::fflush(stdout) == 0 && !std::ferror(stdout)) return kExitOk;
  std::cerr << fmt::format("mtaroute: writing to standard output failed: {}\n",
                           std::strerror(errno));
  return kExitUsage;
}

int PrintOnly(const std::vector<OutputFile>& files, const std::string& name) {
  std::vector<std::string> names;
  for (const OutputFile& file : files) {
    if (file.name == name) {
      std::cout << file.content;
      return kExitOk;
    }
    names.push_back(file.name);
  }
  std::cerr << fmt::format("mtaroute: this policy generates no file {}; it generates: {}\n",
                           name, fmt::join(names, ", "));
  return kExitUsage;
}

// How a line of a deployed or generated file is shown in a --check diff: secret files through
// their mask; a comment there only as it stands when gen itself writes that very comment (a
// hand-written one may hold an old password); and any password gen has read replaced wherever
// it stands.
LineFilter DiffFilter(const OutputFile& file, const EmitContext& context) {
  if (!file.secret) return {};
  std::set<std::string, std::less<>> comments;
  for (std::string_view rest = file.content; !rest.empty();) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (!line.empty() && line.front() == '#') comments.emplace(line);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  return [&file, &context, comments = std::move(comments)](std::string_view line) {
    constexpr std::string_view kMasked = "********";
    if (!line.empty() && line.front() == '#' && !comments.contains(line)) {
      return fmt::format("# {} (a comment mtaroute did not write)", kMasked);
    }
    std::string shown = Shown(file, line);
    for (const auto& [relay, password] : context.passwords) {
      if (password.empty()) continue;
      for (std::size_t at = shown.find(password); at != std::string::npos;
           at = shown.find(password, at + kMasked.size())) {
        shown.replace(at, password.size(), kMasked);
      }
    }
    return shown;
  };
}

// Exit 1 when a file differs, is missing or has another mode; 2 when one cannot be read.
int Check(const std::vector<OutputFile>& files, const std::string& dir,
          const EmitContext& context) {
  bool drift = false;
  bool unreadable = false;
  for (const OutputFile& file : files) {
    std::string path = JoinPath(WithoutTrailingSlash(dir), file.name);  // as the writer names it
    ExistingFile deployed = ReadExisting(dir, file.name);
    if (deployed.unreadable) {
      std::cerr << fmt::format("mtaroute: cannot read {}: {}\n", path, deployed.problem);
      unreadable = true;
      continue;
    }
    unsigned mode = file.secret ? 0600 : 0644;
    if (deployed.content && deployed.mode != mode) {
      drift = true;
      std::cout << fmt::format("{}: mode {:04o}, generated {:04o}\n", path, deployed.mode, mode);
    }
    if (deployed.content == file.content) continue;
    drift = true;
    std::string old_name = deployed.content ? path : fmt::format("{} ({})", path, deployed.problem);
    std::cout << UnifiedDiff(deployed.content.value_or(""), file.content, old_name, "generated",
                             DiffFilter(file, context));
  }
  if (unreadable) return kExitUsage;
  return drift ? kExitFindings : kExitOk;
}

int WriteOut(const Target& target, const std::vector<OutputFile>& files, const std::string& dir,
             const EmitContext& context) {
  WriteResult result = WriteFiles(dir, files);
  for (std::string_view rest = result.notice; !rest.empty();) {
    std::size_t end = rest.find('\n');
    std::cerr << "mtaroute: note: " << rest.substr(0, end) << "\n";
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  if (!result.error.empty()) {
    std::cerr << fmt::format("mtaroute: {}{}\n", result.partial ? "" : "nothing written: ",
                             result.error);
    return kExitFindings;
  }
  if (!result.warning.empty()) std::cerr << "mtaroute: warning: " << result.warning << "\n";
  if (result.changed.empty()) {
    std::cout << fmt::format("{}: all {} files are up to date; nothing to install\n", dir,
                             files.size());
    return kExitOk;
  }
  std::cout << fmt::format("{}: wrote {}\n", dir, fmt::join(result.changed, ", "));
  std::cout << target.install_steps(result.changed, dir, context);
  return kExitOk;
}

// gen postfix's main.cf holds only the settings to merge: written into a Postfix configuration
// directory (one with a master.cf) it would replace the server's main.cf.
bool IsPostfixConfigDir(const std::string& dir) {
  struct stat st {};
  return stat((dir + "/master.cf").c_str(), &st) == 0;
}

// --config-dir ends up in main.cf values and shell commands: an absolute path, plain characters.
std::string CheckConfigDir(const std::string& dir) {
  bool plain = std::all_of(dir.begin(), dir.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("/._+-").find(c) != std::string_view::npos;
  });
  if (!dir.starts_with("/") || !plain) {
    return "must be an absolute path of letters, digits and / . _ + - (it is written into main.cf)";
  }
  return {};
}

int RunGen(const GenOptions& options) {
  if (options.check && options.out_dir.empty()) {
    std::cerr << "mtaroute: --check compares with a directory: give it with --out DIR\n";
    return kExitUsage;
  }
  if (options.target == "postfix" && !options.out_dir.empty() && !options.check &&
      IsPostfixConfigDir(options.out_dir)) {
    std::cerr << fmt::format("mtaroute: {}/master.cf exists: refusing to write the generated "
                             "main.cf (settings to merge) over a Postfix main.cf; use --out {}/"
                             "mtaroute, and --config-dir to match\n",
                             options.out_dir, options.out_dir);
    return kExitUsage;
  }
  int status = 0;
  std::optional<InputFile> read = ReadPolicyFile(options.policy, options.max_size, status);
  if (!read) return status;
  InputFile& input = *read;
  ParseLimits limits;
  limits.max_file_bytes = options.max_size;
  Analysis analysis = AnalyzePolicy(input.name, std::move(input.text), limits);
  if (!CheckPolicy(options, input.name, analysis)) return kExitFindings;
  EmitContext context;
  context.policy_file = input.name;
  context.table_type = options.table_type;
  context.config_dir = options.config_dir;
  context.spf_format = options.spf_format;
  if (std::string error = LoadTemplates(options.template_dir, context); !error.empty()) {
    std::cerr << "mtaroute: " << error << "\n";
    return kExitFindings;
  }
  if (!ReadSecrets(options, input.name, analysis, context)) return kExitFindings;
  const Target& target = *FindTarget(options.target);
  if (!options.only.empty() && target.stream) {
    TextSink out(stdout);
    if (target.stream(*analysis.policy, context, options.only, out)) return Finish(out);
  }
  std::vector<OutputFile> files = target.emit(*analysis.policy, context);
  if (!options.only.empty()) return PrintOnly(files, options.only);
  if (options.check) return Check(files, options.out_dir, context);
  if (!options.out_dir.empty()) return WriteOut(target, files, options.out_dir, context);
  return PrintAll(files);
}

CLI::App* AddTarget(CLI::App& gen, const std::string& name, const std::string& help,
                    std::shared_ptr<GenOptions> options, int& exit_code) {
  CLI::App* sub = gen.add_subcommand(name, help);
  sub->add_option("POLICY", options->policy, "Policy file ('-' for standard input)")->required();
  CLI::Option* out = sub->add_option("--out", options->out_dir,
                                     "Write the files into DIR, all or nothing, each atomically");
  sub->add_option("--only", options->only, "Print only this file, exactly as --out writes it")
      ->excludes(out);
  sub->add_flag("--check", options->check,
                "Write nothing; diff the files in --out DIR against the generated ones; exit 1 "
                "on any difference");
  sub->add_option("--template-dir", options->template_dir,
                  "Directory whose templates (header.txt, main.cf.txt) override the built-in ones");
  sub->add_option("--max-size", options->max_size, "Largest policy file read, in bytes");
  sub->callback([options, name, &exit_code] {
    options->target = name;
    exit_code = RunGen(*options);
  });
  return sub;
}

}  // namespace

void AddGenCommand(CLI::App& app, int& exit_code) {
  CLI::App* gen = app.add_subcommand("gen", "Generate configuration for a target.");
  gen->require_subcommand(1);
  auto options = std::make_shared<GenOptions>();
  CLI::App* postfix = AddTarget(*gen, "postfix",
                                "Postfix: transport, main.cf settings, sasl_passwd, tls_policy, "
                                "mynetworks (relay side).",
                                options, exit_code);
  postfix->add_option("--table-type", options->table_type, "Lookup table type for the tables")
      ->check(CLI::IsMember({"hash", "lmdb", "cdb", "texthash", "btree"}))
      ->default_str("hash");
  postfix->add_option("--config-dir", options->config_dir,
                      "Where the tables will live on the server (paths in main.cf)")
      ->check(CheckConfigDir)
      ->default_str("/etc/postfix");
  AddTarget(*gen, "qmail", "qmail: control/smtproutes, and tcp.smtp for the relay side.", options,
            exit_code);
  CLI::App* spf = AddTarget(*gen, "spf", "SPF TXT records for the sender domains.", options,
                            exit_code);
  spf->add_option("--format", options->spf_format, "zone (BIND lines), txt (the value), json")
      ->check(CLI::IsMember({"zone", "txt", "json"}))
      ->default_str("zone");
}

}  // namespace mtaroute
