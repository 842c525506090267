// The Postfix target: which files a policy needs, the nexthop spelling they all share, and the
// transport table. The rest: postfix_tables.cc (sasl_passwd, tls_policy, mynetworks),
// postfix_main_cf.cc (main.cf), postfix_install.cc (install steps). Pure functions of the
// model, except InstallSteps, which reads back the main.cf that gen has just written.
#include "emit/postfix.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "emit/header.h"

namespace mtaroute {

std::string PostfixHeader(const EmitContext& context, std::string_view name) {
  return RenderHeader(context.header_template, {context.policy_file, name, "postfix"}, "#");
}

std::string PostfixNexthop(const Relay& relay) {
  std::string host = relay.host.text;
  if (relay.host.kind == Host::Kind::kIpv6) host = "ipv6:" + host;
  // An address has no MX record; lint rejects "mx" on one, and brackets are right anyway.
  if (relay.mx && !relay.host.IsAddress()) return fmt::format("{}:{}", host, relay.port);
  return fmt::format("[{}]:{}", host, relay.port);
}

namespace {

// The value of the route's entries, or "" when its relay is unknown (lint reports that).
std::string TransportValue(const Route& route, const Policy& policy) {
  // "smtp:" with an empty nexthop = the recipient domain = normal MX delivery; a bare ":"
  // would keep the relayhost (transport(5), checked on a live Postfix).
  if (route.relay == kDirect) return "smtp:";
  const Relay* relay = policy.FindRelay(route.relay);
  return relay ? "smtp:" + PostfixNexthop(*relay) : "";
}

}  // namespace

void WriteTransport(const Policy& policy, const EmitContext& context, TextSink& out) {
  out += PostfixHeader(context, "transport");
  RouteKeyWriter keys(policy);
  for (std::size_t i = 0; i < policy.routes.size(); ++i) {
    const Route& route = policy.routes[i];
    std::string value = TransportValue(route, policy);
    if (value.empty() || route.domains.empty()) continue;
    out += "\n" + RouteComment(route, i, policy, "the relayhost");
    keys.Write(route, " " + value + "\n", out);
  }
}

std::string RenderTransport(const Policy& policy, const EmitContext& context) {
  TextSink out;
  WriteTransport(policy, context, out);
  return out.Take();
}

std::vector<OutputFile> EmitPostfix(const Policy& policy, const EmitContext& context) {
  bool postmap = context.table_type != "texthash";  // texthash is read as text at start-up
  std::vector<OutputFile> files;
  files.push_back({"transport", RenderTransport(policy, context), false, postmap, nullptr});
  files.push_back({"main.cf", RenderMainCf(policy, context), false, false, nullptr});
  std::vector<const Relay*> used = policy.UsedRelays();
  if (std::any_of(used.begin(), used.end(), [](const Relay* r) { return r->auth.has_value(); })) {
    files.push_back(
        {"sasl_passwd", RenderSaslPasswd(policy, context), true, postmap, MaskSaslPasswd});
  }
  if (std::any_of(used.begin(), used.end(), [](const Relay* r) { return r->tls.has_value(); })) {
    files.push_back({"tls_policy", RenderTlsPolicy(policy, context), false, postmap, nullptr});
  }
  if (!policy.origins.empty()) {
    files.push_back({"mynetworks", RenderMynetworks(policy, context), false, false, nullptr});
  }
  return files;
}

namespace {

// The Target interface hands install_steps the directory, not the files: the settings to
// merge are read back from the main.cf just written there (only when it changed).
std::string InstallSteps(const std::vector<std::string>& changed, const std::string& out_dir,
                         const EmitContext& context) {
  std::string main_cf;
  if (std::find(changed.begin(), changed.end(), "main.cf") != changed.end()) {
    std::ifstream in(out_dir + "/main.cf", std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    main_cf = text.str();
  }
  return RenderPostfixInstallSteps(changed, out_dir, context, main_cf);
}

bool Stream(const Policy& policy, const EmitContext& context, std::string_view name,
            TextSink& out) {
  if (name != "transport") return false;
  WriteTransport(policy, context, out);
  return true;
}

}  // namespace

extern const Target kPostfixTarget;
const Target kPostfixTarget = {"postfix", EmitPostfix, InstallSteps, Stream};

}  // namespace mtaroute
