// main.cf for the Postfix target: the settings the policy needs, each under comment lines that
// say why, to merge into the server's main.cf (never a whole main.cf; the install steps in
// postfix_install.cc merge them with `postconf -e`). Relay-side settings come last.
#include "emit/postfix.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>

#include "emit/header.h"
#include "util/text.h"

namespace mtaroute {
namespace {

struct Setting {
  std::vector<std::string> comments;  // whole lines above the setting (none: same group)
  std::string name;
  std::string value;
};

std::string ConfigDir(const EmitContext& context) {
  return WithoutTrailingSlash(context.config_dir);
}

std::string ConfigPath(const EmitContext& context, std::string_view file) {
  return JoinPath(ConfigDir(context), file);
}

std::string Map(const EmitContext& context, std::string_view file) {
  return fmt::format("{}:{}", context.table_type, ConfigPath(context, file));
}

// "a: encrypt, b: verify" or "a, b": the used relays that have what `has` asks for.
template <typename Has, typename Describe>
std::string RelayList(const std::vector<const Relay*>& relays, Has has, Describe describe) {
  std::vector<std::string> names;
  for (const Relay* relay : relays) {
    if (has(*relay)) names.push_back(describe(*relay));
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

bool TlsIn(const Relay& relay, std::initializer_list<TlsLevel> levels) {
  return relay.tls && std::find(levels.begin(), levels.end(), *relay.tls) != levels.end();
}

std::string Name(const Relay& relay) { return "\"" + relay.name + "\""; }

void AddRouting(const Policy& policy, const EmitContext& context, std::vector<Setting>& out) {
  out.push_back({{"Recipient domains with a route in the policy: see the file transport."},
                 "transport_maps",
                 Map(context, "transport")});
  if (const Relay* relay = policy.FindRelay(policy.default_route)) {
    out.push_back(
        {{fmt::format("\"default\": relay \"{}\": mail for every other domain goes through "
                      "it.",
                      relay->name)},
         "relayhost",
         PostfixNexthop(*relay)});
  } else {
    out.push_back({{"\"default\": \"direct\": no relayhost; every other domain gets normal MX "
                    "delivery."},
                   "relayhost",
                   ""});
  }
}

void AddSasl(const std::vector<const Relay*>& used, const EmitContext& context,
             std::vector<Setting>& out) {
  auto has_auth = [](const Relay& r) { return r.auth.has_value(); };
  std::string relays = RelayList(used, has_auth, Name);
  if (relays.empty()) return;
  out.push_back({{fmt::format("SMTP AUTH to the relays with \"auth\" ({}); passwords in the file "
                              "sasl_passwd.",
                              relays),
                  "noanonymous lifts the default's noplaintext, so that PLAIN and LOGIN (package",
                  "libsasl2-modules) may be used; smtp_sasl_tls_security_options follows it."},
                 "smtp_sasl_auth_enable",
                 "yes"});
  out.push_back({{}, "smtp_sasl_password_maps", Map(context, "sasl_passwd")});
  out.push_back({{}, "smtp_sasl_security_options", "noanonymous"});
}

void AddTls(const std::vector<const Relay*>& used, const EmitContext& context,
            std::vector<Setting>& out) {
  std::string relays = RelayList(
      used, [](const Relay& r) { return r.tls.has_value(); },
      [](const Relay& r) { return fmt::format("\"{}\": {}", r.name, TlsLevelName(*r.tls)); });
  if (relays.empty()) return;
  out.push_back({{fmt::format("TLS per relay ({}), in the file tls_policy;", relays),
                  "other destinations keep smtp_tls_security_level."},
                 "smtp_tls_policy_maps",
                 Map(context, "tls_policy")});
  std::string verified = RelayList(
      used,
      [](const Relay& r) {
        return TlsIn(r, {TlsLevel::kVerify, TlsLevel::kSecure});
      },
      Name);
  if (!verified.empty()) {
    out.push_back({{fmt::format("verify and secure ({}) check the relay's certificate against "
                                "the system's CAs",
                                verified),
                    "(package ca-certificates); Postfix's default is no CA at all."},
                   "smtp_tls_CApath",
                   "/etc/ssl/certs"});
  }
  std::string dane = RelayList(
      used, [](const Relay& r) { return TlsIn(r, {TlsLevel::kDane}); }, Name);
  if (!dane.empty()) {
    out.push_back({{fmt::format("dane ({}) needs DNSSEC-validated answers: a validating "
                                "resolver (e.g. unbound)",
                                dane),
                    "in /etc/resolv.conf. Without them Postfix warns and falls back to \"may\"."},
                   "smtp_dns_support_level",
                   "dnssec"});
  }
}

std::vector<Setting> MainCfSettings(const Policy& policy, const EmitContext& context) {
  std::vector<Setting> settings;
  std::vector<const Relay*> used = policy.UsedRelays();
  AddRouting(policy, context, settings);
  AddSasl(used, context, settings);
  AddTls(used, context, settings);
  if (!policy.origins.empty()) {
    settings.push_back({{"Relay side: this setting belongs on the relay server(s), not here.",
                         "Clients that may relay: loopback and the origins, in the file "
                         "mynetworks."},
                        "mynetworks",
                        ConfigPath(context, "mynetworks")});
  }
  return settings;
}

}  // namespace

bool IsRelaySideSetting(std::string_view name) { return name == "mynetworks"; }

std::string RenderMainCf(const Policy& policy, const EmitContext& context) {
  std::string out = PostfixHeader(context, "main.cf");
  out += "#\n";
  out += RenderHeader(context.main_cf_template, {context.policy_file, "main.cf", "postfix"}, "#");
  for (const Setting& setting : MainCfSettings(policy, context)) {
    if (!setting.comments.empty()) out += "\n";
    for (const std::string& comment : setting.comments) out += CommentLine(comment);
    out += setting.value.empty() ? fmt::format("{} =\n", setting.name)
                                 : fmt::format("{} = {}\n", setting.name, setting.value);
  }
  return out;
}

}  // namespace mtaroute
