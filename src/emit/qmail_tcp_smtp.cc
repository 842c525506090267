// tcp.smtp, the rules tcpserver applies to each client of a relay's qmail-smtpd: the origins
// may relay (RELAYCLIENT set to the empty string, since qmail-smtpd appends its value to every
// recipient), every other client may connect but not relay. tcprules knows no CIDR: each
// network becomes its tcprules pattern (util/net.h TcprulesPatterns).
#include <set>

#include <fmt/format.h>

#include "emit/header.h"
#include "emit/qmail_emit.h"

namespace mtaroute {
namespace {

constexpr std::string_view kRelayRule = ":allow,RELAYCLIENT=\"\"";

// The rules of one network, or a comment when an entry written elsewhere covers it.
std::string Rules(const Network& network, std::set<Network>& remaining) {
  if (remaining.erase(network) == 0) {
    return CommentLine(fmt::format("{}: covered by another entry", network.ToCompactString()));
  }
  std::string out;
  // The pattern says the network only to those who read tcprules ranges fluently.
  if (!network.IsHost()) out += CommentLine(network.ToString());
  for (const std::string& pattern : TcprulesPatterns(network)) {
    out += fmt::format("{}{}\n", pattern, kRelayRule);
  }
  return out;
}

}  // namespace

std::string RenderTcpSmtp(const Policy& policy, const EmitContext& context) {
  const Network loopback = *ParseNetwork("127.0.0.0/8").network;
  std::vector<Network> all = {loopback};
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& entry : origin.networks) {
      if (entry.network.address.family == Family::kV4) all.push_back(entry.network);
    }
  }
  // Each network is written once, under the first origin that lists it, unless another entry
  // covers it: tcpserver would find the wider rule anyway, with the same effect.
  std::vector<Network> kept = RemoveCoveredNetworks(all);
  std::set<Network> remaining(kept.begin(), kept.end());

  std::string out =
      RenderHeader(context.header_template, {context.policy_file, "tcp.smtp", "qmail"}, "#");
  out += "\n" + CommentLine("loopback: programs on the relay itself") + Rules(loopback, remaining);
  for (const Origin& origin : policy.origins) {
    out += "\n" + CommentLine(fmt::format("origin \"{}\"", origin.name));
    for (const NetworkEntry& entry : origin.networks) {
      if (entry.network.address.family == Family::kV4) {
        out += Rules(entry.network, remaining);
      } else {
        out += CommentLine(fmt::format("not written: {} is IPv6, which tcp.smtp cannot hold",
                                        entry.network.ToCompactString()));
      }
    }
  }
  out += "\n" + CommentLine("every other client: may connect, may not relay");
  return out + ":allow\n";
}

}  // namespace mtaroute
