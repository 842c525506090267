// What every emitter produces and gets: generated files as text with their properties, and
// the context (header template, target options, secrets read by the CLI). Emitters are pure
// functions from the model to text: no files, no clock, no failure.
#pragma once

#include <cstdio>
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

// Where an emitter writes a file that may be large (transport, smtproutes): whole into a
// string, or on to a stream in blocks of 64 KiB (gen --only), so that a million lines are
// never held in memory at once.
class TextSink {
 public:
  TextSink() = default;
  explicit TextSink(std::FILE* stream) : stream_(stream) {}
  TextSink(const TextSink&) = delete;
  TextSink& operator=(const TextSink&) = delete;

  TextSink& operator+=(std::string_view text) {
    buffer_ += text;
    if (stream_ && buffer_.size() >= kBlock) Flush();
    return *this;
  }
  // Writes what is buffered to the stream; false once any write has failed.
  bool Flush() {
    if (stream_ && !buffer_.empty()) {
      failed_ = std::fwrite(buffer_.data(), 1, buffer_.size(), stream_) != buffer_.size() ||
                failed_;
      buffer_.clear();
    }
    return !failed_;
  }
  // The whole text, for a sink without a stream.
  std::string Take() { return std::move(buffer_); }

 private:
  static constexpr std::size_t kBlock = 64 * 1024;
  std::FILE* stream_ = nullptr;
  std::string buffer_;
  bool failed_ = false;
};

// A generation target: the files it makes for a policy, and how to install them.
struct Target {
  std::string_view name;
  std::vector<OutputFile> (*emit)(const Policy& policy, const EmitContext& context);
  // Shell commands that install what changed (file names from `changed`) from out_dir.
  std::string (*install_steps)(const std::vector<std::string>& changed, const std::string& out_dir,
                               const EmitContext& context);
  // Writes file `name`, exactly as emit makes it, to `out` and returns true, for the files
  // that can be large; false for the others (gen --only then emits them all and picks one).
  bool (*stream)(const Policy& policy, const EmitContext& context, std::string_view name,
                 TextSink& out) = nullptr;
};

// The one place to add a target (like ninja's kTools[]).
const std::vector<const Target*>& Targets();
const Target* FindTarget(std::string_view name);

}  // namespace mtaroute
