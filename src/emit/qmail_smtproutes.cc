// control/smtproutes, the routes qmail-remote reads at the start of every delivery:
// `domain:relay:port`, `.domain:relay:port` for the subdomains, `domain:` for normal MX
// delivery, `:relay:port` for every other domain. Lines are LF-terminated with no spaces and
// comments stand on lines of their own (qmail keeps a `#` or a space that follows an entry).
#include <fmt/format.h>

#include "emit/header.h"
#include "emit/qmail_emit.h"
#include "policy/validate.h"

namespace mtaroute {
namespace {

// Why no line can be written for this relay name ("" when one can): gen qmail has refused
// both cases before the emitter runs, so this only keeps a wrong line out of the file.
std::string Unwritable(const Policy& policy, const std::string& relay_name) {
  if (relay_name == kDirect) return {};
  const Relay* relay = policy.FindRelay(relay_name);
  if (!relay) return fmt::format("not written: relay \"{}\" is not defined", relay_name);
  std::string limitation = QmailLimitation(*relay);
  if (limitation.empty()) return {};
  return fmt::format("not written: relay \"{}\" needs {}, which stock qmail-remote cannot do",
                     relay_name, limitation);
}

// What follows "key:" on the route's lines: "host:port", or "" for normal MX delivery.
std::string RelayFieldFor(const Policy& policy, const std::string& relay_name) {
  if (relay_name == kDirect) return {};
  return QmailRelayField(*policy.FindRelay(relay_name));
}

std::string DefaultLines(const Policy& policy) {
  if (policy.default_route == kDirect) {
    return CommentLine("no default route: every other domain by normal MX delivery");
  }
  std::string out = CommentLine(
      fmt::format("default route: every other domain through relay \"{}\"", policy.default_route));
  if (std::string why = Unwritable(policy, policy.default_route); !why.empty()) {
    return out + CommentLine(why);
  }
  return out + ":" + RelayFieldFor(policy, policy.default_route) + "\n";
}

}  // namespace

std::string QmailRelayField(const Relay& relay) {
  return fmt::format("{}:{}", relay.host.text, relay.port);
}

void WriteSmtproutes(const Policy& policy, const EmitContext& context, TextSink& out) {
  out += RenderHeader(context.header_template, {context.policy_file, "smtproutes", "qmail"}, "#");
  RouteKeyWriter keys(policy);
  for (std::size_t i = 0; i < policy.routes.size(); ++i) {
    const Route& route = policy.routes[i];
    if (route.domains.empty()) continue;
    out += "\n" + RouteComment(route, i, policy, "the default relay");
    if (std::string why = Unwritable(policy, route.relay); !why.empty()) {
      out += CommentLine(why);
      continue;
    }
    keys.Write(route, ":" + RelayFieldFor(policy, route.relay) + "\n", out);
  }
  out += "\n" + DefaultLines(policy);
}

std::string RenderSmtproutes(const Policy& policy, const EmitContext& context) {
  TextSink out;
  WriteSmtproutes(policy, context, out);
  return out.Take();
}

}  // namespace mtaroute
