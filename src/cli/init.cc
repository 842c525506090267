// `mtaroute init`: writes a commented starter policy for the common case (Gmail's domains
// through one authenticated relay, everything else direct) to stdout or to a new file. The
// text is linted before it is written; it never replaces a file unless --force says so.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "diag/render.h"
#include "policy/analyze.h"
#include "util/domain.h"
#include "util/net.h"
#include "util/text.h"

namespace mtaroute {
namespace {

constexpr const char* kRelayName = "clean-relay";

struct InitOptions {
  std::string relay = "relay.example.net";
  int port = 587;
  std::vector<std::string> domains;
  bool domains_given = false;  // --domains "" is an error, not the default
  std::string out;
  bool force = false;
};

std::string Json(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

// Canonical relay host and domains, or a message for stderr naming the bad flag.
std::string CheckFlags(InitOptions& options) {
  if (std::optional<IpAddress> ip = ParseIpAddress(options.relay)) {
    options.relay = ip->ToString();
  } else if (NameResult host = NormalizeHostName(options.relay); host.ok()) {
    options.relay = host.name;
  } else {
    return fmt::format("--relay {}: {}", Quote(options.relay), host.error);
  }
  std::vector<std::string> domains;
  std::set<std::string> seen;
  for (const std::string& input : options.domains) {
    NameResult domain = NormalizeDomain(input);
    if (!domain.ok()) {
      std::string message = fmt::format("--domains {}: {}", Quote(input), domain.error);
      return domain.hint.empty() ? message : message + " (" + domain.hint + ")";
    }
    if (seen.insert(domain.name).second) domains.push_back(domain.name);
  }
  if (domains.empty()) return "--domains: give at least one domain";
  options.domains = std::move(domains);
  return {};
}

// The route line(s), indented for the "routes" array.
std::string Routes(const InitOptions& options, bool gmail) {
  std::vector<std::string> quoted;
  for (const std::string& domain : options.domains) quoted.push_back(Json(domain));
  std::string route = fmt::format(R"(    {{ "domains": [{}], "subdomains": true, "relay": "{}")",
                                  fmt::join(quoted, ", "), kRelayName);
  if (!gmail) {
    return "    // Mail for these domains and their subdomains goes through the relay.\n" + route +
           " }\n";
  }
  return "    // Gmail bounces mail from addresses with a poor reputation:\n"
         "    //   550-5.7.1 ... very low reputation of the sending IP address\n" +
         route +
         ",\n      \"note\": \"Gmail: 550-5.7.1 very low reputation of the sending IP\" }\n";
}

std::string StarterPolicy(const InitOptions& options, bool gmail) {
  return fmt::format(
      R"(// mtaroute policy: mail for the domains under "routes" goes through a relay with a clean
// IP address; mail for every other domain is delivered directly. Written by `mtaroute init`.
// Edit it, then check and use it:
//   mtaroute lint POLICY           every check, no secret read (run it in CI too)
//   mtaroute gen postfix POLICY    the Postfix configuration (reads the relay password)
// The format is in mtaroute(1); `mtaroute schema` prints the JSON Schema for editors.
{{
  "version": 1,
  "relays": {{
    // The relay with a clean IP address. Never write its password here: put it alone in
    // the password_file (mode 0600), or use "password_env": "VARIABLE" instead.
    "{name}": {{
      "host": {host},
      "port": {port},
      // The addresses the relay sends mail from, for SPF records (see "spf" below):
      // "egress": ["192.0.2.10"],
      "tls": "encrypt",
      "auth": {{
        "username": "mailer",
        "password_file": "/etc/mtaroute/{name}.secret"
      }}
    }}
  }},
  "routes": [
    // One more route, for example Apple's domains: remove the // below.
    // {{ "domains": ["me.com", "mac.com", "icloud.com"], "relay": "{name}" }},
{routes}  ],
  // On the relay, if you run it: the servers allowed to send through it (gen postfix writes
  // mynetworks, gen qmail writes tcp.smtp):
  // "origins": [ {{ "name": "web01", "networks": ["192.0.2.20"] }} ],
  // Your sender domains' SPF records, naming the relay (gen spf):
  // "spf": [ {{ "domain": "example.com", "mechanisms": ["mx"] }} ],
  // For Postfix: the relay needs SMTP AUTH and TLS, which stock qmail-remote cannot do, so
  // lint does not warn about qmail. Write ["postfix", "qmail"] if you use both.
  "mtas": ["postfix"],
  "default": "direct"
}}
)",
      fmt::arg("name", kRelayName), fmt::arg("host", Json(options.relay)),
      fmt::arg("port", options.port), fmt::arg("routes", Routes(options, gmail)));
}

// Writes all of text to fd and fsyncs it; "" or the reason.
std::string WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::strerror(errno);
    if (n == 0) return "short write";
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return fsync(fd) == 0 ? "" : std::strerror(errno);
}

// Creates path with the text; without force an existing file (or symlink) is an error, with
// force it is replaced atomically (temporary file, fsync, rename). Returns "" or the reason.
std::string WritePolicy(const std::string& path, const std::string& text, bool force) {
  std::string target = force ? path + fmt::format(".tmp{}", getpid()) : path;
  int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST && !force) return "it exists; use --force to replace it";
    return std::strerror(errno);
  }
  std::string error = WriteAll(fd, text);
  if (close(fd) != 0 && error.empty()) error = std::strerror(errno);
  if (error.empty() && force && rename(target.c_str(), path.c_str()) != 0) {
    error = std::strerror(errno);
  }
  if (!error.empty()) unlink(target.c_str());
  return error;
}

int RunInit(InitOptions options) {
  bool gmail = !options.domains_given;
  if (gmail) options.domains = {"gmail.com", "googlemail.com"};
  if (std::string error = CheckFlags(options); !error.empty()) {
    std::cerr << "mtaroute init: " << error << "\n";
    return kExitUsage;
  }
  std::string name = options.out.empty() ? "<init>" : options.out;
  std::string text = StarterPolicy(options, gmail);
  // A starter that does not lint is a bug in this file, not the user's fault: say so.
  Analysis analysis = AnalyzePolicy(name, text, ParseLimits{});
  if (analysis.diags.HasErrors()) {
    std::cerr << RenderText(analysis.diags.items())
              << "mtaroute init: internal error: the starter policy does not lint\n";
    return kExitFindings;
  }
  if (options.out.empty()) {
    std::cout << text;
    return kExitOk;
  }
  if (std::string error = WritePolicy(options.out, text, options.force); !error.empty()) {
    std::cerr << fmt::format("mtaroute init: cannot write {}: {}\n", options.out, error);
    return kExitFindings;
  }
  std::cout << fmt::format(
      "wrote {0}\nnext: edit it, put the relay password in /etc/mtaroute/{1}.secret (mode "
      "0600) on the server, then run: mtaroute lint {0}\n",
      options.out, kRelayName);
  return kExitOk;
}

}  // namespace

void AddInitCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<InitOptions>();
  CLI::App* init = app.add_subcommand(
      "init", "Write a commented starter policy: Gmail (or --domains) through one relay.");
  init->add_option("--relay", options->relay, "Relay host name or IP address")
      ->default_str(options->relay);
  init->add_option("--port", options->port, "Relay port")
      ->check(CLI::Range(1, 65535))
      ->default_str(std::to_string(options->port));
  CLI::Option* domains =
      init->add_option("--domains", options->domains,
                       "Comma-separated recipient domains routed through the relay, each with "
                       "its subdomains (default: gmail.com,googlemail.com)")
          ->delimiter(',');
  init->add_option("--out", options->out, "Write the policy to FILE instead of standard output");
  init->add_flag("--force", options->force, "Replace FILE if it exists");
  init->callback([options, domains, &exit_code] {
    options->domains_given = domains->count() > 0;
    exit_code = RunInit(*options);
  });
}

}  // namespace mtaroute
