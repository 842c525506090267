// The qmail target: which files a policy needs (smtproutes, and tcp.smtp for the relay side)
// and the shell commands that install what changed. The files themselves are rendered in
// qmail_smtproutes.cc and qmail_tcp_smtp.cc. Pure functions of the model.
#include <algorithm>

#include <fmt/format.h>

#include "emit/qmail_emit.h"
#include "util/text.h"

namespace mtaroute {
namespace {

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// qmail-remote reads smtproutes at the start of each delivery: a new file must appear whole,
// so it is installed under a temporary name and renamed. No restart is needed.
std::string SendingSide(const std::string& out_dir) {
  std::string target = JoinPath(kQmailControlDir, "smtproutes");
  std::string out =
      "# On the qmail server that sends through the relays, as root (qmail-remote reads\n"
      "# control/smtproutes at each delivery: no restart):\n";
  if (out_dir == kQmailControlDir) return out + "# nothing to do: written in place\n";
  return out + fmt::format("install -m 0644 {} {}.new\nmv -f {}.new {}\n",
                           ShellQuote(JoinPath(out_dir, "smtproutes")), target, target, target);
}

// tcpserver -x /etc/tcp.smtp.cdb reads the cdb at each connection; tcprules replaces it by a
// rename, and keeps the old one when the text has an error.
std::string RelaySide(const std::string& out_dir) {
  std::string source = JoinPath(kTcpRulesDir, "tcp.smtp");
  std::string out =
      "# On each relay server (qmail-smtpd under tcpserver -x /etc/tcp.smtp.cdb), as root;\n"
      "# tcpserver reads the compiled rules at each connection: no restart:\n";
  if (out_dir != kTcpRulesDir) {
    out += fmt::format("install -m 0644 {} {}\n", ShellQuote(JoinPath(out_dir, "tcp.smtp")), source);
  }
  return out + fmt::format("tcprules {}.cdb {}.tmp < {}\n", source, source, source);
}

std::vector<OutputFile> Emit(const Policy& policy, const EmitContext& context) {
  return EmitQmail(policy, context);
}

std::string InstallSteps(const std::vector<std::string>& changed, const std::string& out_dir,
                         const EmitContext&) {
  return RenderQmailInstallSteps(changed, out_dir);
}

bool Stream(const Policy& policy, const EmitContext& context, std::string_view name,
            TextSink& out) {
  if (name != "smtproutes") return false;
  WriteSmtproutes(policy, context, out);
  return true;
}

}  // namespace

std::vector<OutputFile> EmitQmail(const Policy& policy, const EmitContext& context) {
  std::vector<OutputFile> files;
  files.push_back({"smtproutes", RenderSmtproutes(policy, context), false, false, nullptr});
  if (!policy.origins.empty()) {
    files.push_back({"tcp.smtp", RenderTcpSmtp(policy, context), false, false, nullptr});
  }
  return files;
}

std::string RenderQmailInstallSteps(const std::vector<std::string>& changed,
                                    const std::string& out_dir) {
  std::string dir = WithoutTrailingSlash(out_dir);
  std::string sending = Contains(changed, "smtproutes") ? SendingSide(dir) : "";
  std::string relay = Contains(changed, "tcp.smtp") ? RelaySide(dir) : "";
  return sending + (!sending.empty() && !relay.empty() ? "\n" : "") + relay;
}

extern const Target kQmailTarget;
const Target kQmailTarget = {"qmail", Emit, InstallSteps, Stream};

}  // namespace mtaroute
