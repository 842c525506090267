// The install steps printed after `gen postfix --out DIR` wrote files: exact shell commands for
// what changed, sending side first, relay side apart. Pure: the generated main.cf text comes
// from the caller, and the settings to merge are read from it, so the steps always say what the
// file says.
#include "emit/postfix.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

struct Setting {
  std::string name;
  std::string value;
};

// The `name = value` lines of a generated main.cf (whole-line comments and blank lines skipped).
std::vector<Setting> ParseSettings(std::string_view text) {
  std::vector<Setting> settings;
  auto trim = [](std::string_view s) {
    std::size_t first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return std::string();
    std::size_t last = s.find_last_not_of(" \t");
    return std::string(s.substr(first, last - first + 1));
  };
  while (!text.empty()) {
    std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    std::size_t equals = line.find('=');
    if (line.empty() || line.front() == '#' || equals == std::string_view::npos) continue;
    settings.push_back({trim(line.substr(0, equals)), trim(line.substr(equals + 1))});
  }
  return settings;
}

// Each table and the main.cf setting that names it.
struct Table {
  std::string_view file;
  std::string_view setting;
};
constexpr Table kTables[] = {{"transport", "transport_maps"},
                             {"sasl_passwd", "smtp_sasl_password_maps"},
                             {"tls_policy", "smtp_tls_policy_maps"}};

struct Plan {
  std::string out_dir;
  std::string config_dir;
  const EmitContext* context;
  std::vector<std::string> changed;
  std::vector<Setting> settings;  // of main.cf, when it changed

  bool Changed(std::string_view file) const {
    return std::find(changed.begin(), changed.end(), file) != changed.end();
  }
  bool HasSetting(std::string_view name) const {
    return std::any_of(settings.begin(), settings.end(),
                       [&](const Setting& s) { return s.name == name; });
  }
  // `install` line for a changed file, unless --out is the config directory itself.
  std::string Copy(std::string_view file) const {
    if (!Changed(file) || out_dir == config_dir) return {};
    return fmt::format("install -m {} {} {}\n", file == "sasl_passwd" ? "0600" : "0644",
                       ShellQuote(JoinPath(out_dir, file)), ShellQuote(JoinPath(config_dir, file)));
  }
  std::string Postconf(bool relay_side) const {
    std::string out;
    for (const Setting& s : settings) {
      if (IsRelaySideSetting(s.name) != relay_side) continue;
      std::string assignment = s.value.empty() ? s.name + " =" : s.name + " = " + s.value;
      out += fmt::format("postconf -e {}\n", ShellQuote(assignment));
    }
    return out;
  }
};

// The copies need the config directory (a new one such as /etc/postfix/mtaroute).
std::string MakeDir(const Plan& plan, const std::string& copies) {
  if (copies.empty()) return {};
  return fmt::format("mkdir -p {}\n", ShellQuote(plan.config_dir));
}

std::string Notes(const Plan& plan) {
  std::string out;
  const std::string& type = plan.context->table_type;
  if (type == "lmdb" || type == "cdb") {
    out += fmt::format("# {} tables need the package postfix-{}: apt-get install postfix-{}\n",
                       type, type, type);
  }
  if (plan.Changed("sasl_passwd") || plan.HasSetting("smtp_sasl_auth_enable")) {
    out += "# SMTP AUTH PLAIN and LOGIN need the package libsasl2-modules\n";
  }
  return out;
}

std::string SendingSide(const Plan& plan) {
  std::string copies, postmaps;
  bool changed = false;
  for (const Table& table : kTables) {
    changed = changed || plan.Changed(table.file);
    copies += plan.Copy(table.file);
    // A table is (re)built when it changed, or when main.cf changed and names it (the table
    // type may be new while the table's text is not).
    bool build = plan.Changed(table.file) || plan.HasSetting(table.setting);
    if (build && plan.context->table_type != "texthash") {
      std::string map =
          fmt::format("{}:{}", plan.context->table_type, JoinPath(plan.config_dir, table.file));
      postmaps += fmt::format("postmap {}\n", ShellQuote(map));
    }
  }
  std::string postconf = plan.Postconf(false);
  if (!changed && postconf.empty()) return {};
  // reload: texthash tables and main.cf are read only when a process starts.
  return "# On the mail server that sends through the relays, as root:\n" + Notes(plan) +
         MakeDir(plan, copies) + copies + postmaps + postconf + "postfix reload\n";
}

std::string RelaySide(const Plan& plan) {
  std::string postconf = plan.Postconf(true);
  if (!plan.Changed("mynetworks") && postconf.empty()) return {};
  // reload: smtpd reads the mynetworks file when it starts.
  std::string copy = plan.Copy("mynetworks");
  return "# On each relay server, as root (the clients it lets relay):\n" + MakeDir(plan, copy) +
         copy + postconf + "postfix reload\n";
}

}  // namespace

std::string RenderPostfixInstallSteps(const std::vector<std::string>& changed,
                                      const std::string& out_dir, const EmitContext& context,
                                      std::string_view main_cf) {
  Plan plan{WithoutTrailingSlash(out_dir),
            WithoutTrailingSlash(context.config_dir),
            &context,
            changed,
            {}};
  if (plan.Changed("main.cf")) plan.settings = ParseSettings(main_cf);
  std::string sending = SendingSide(plan);
  std::string relay = RelaySide(plan);
  return sending + (!sending.empty() && !relay.empty() ? "\n" : "") + relay;
}

}  // namespace mtaroute
