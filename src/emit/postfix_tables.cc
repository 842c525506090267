// The Postfix tables keyed by relay or by client: sasl_passwd and tls_policy (one entry per used
// relay, keyed by its nexthop exactly as transport and relayhost write it) and the relay side's
// mynetworks. Pure functions of the model; the passwords come in the EmitContext.
#include "emit/postfix.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "emit/header.h"

namespace mtaroute {
namespace {

constexpr std::string_view kMasked = "********";

// One entry per nexthop: Postfix looks up the nexthop, so two relays sharing one (same host,
// port and mx) cannot have different credentials or TLS levels. The first, by name, wins.
class NexthopKeys {
 public:
  // "" when the relay's nexthop is new, else the comment that explains why it has no entry.
  std::string Claim(const Relay& relay) {
    std::string key = PostfixNexthop(relay);
    auto [it, inserted] = owners_.emplace(key, relay.name);
    if (inserted) return {};
    return CommentLine(
        fmt::format("relay \"{}\": same nexthop {} as relay \"{}\" above; Postfix uses "
                    "one entry per nexthop",
                    relay.name, key, it->second));
  }

 private:
  std::map<std::string, std::string> owners_;
};

}  // namespace

std::string RenderSaslPasswd(const Policy& policy, const EmitContext& context) {
  std::string out = PostfixHeader(context, "sasl_passwd");
  NexthopKeys keys;
  for (const Relay* relay : policy.UsedRelays()) {
    if (!relay->auth) continue;
    out += "\n" + CommentLine(fmt::format("relay \"{}\"", relay->name));
    if (std::string duplicate = keys.Claim(*relay); !duplicate.empty()) {
      out += duplicate;
      continue;
    }
    auto password = context.passwords.find(relay->name);
    if (password == context.passwords.end()) {
      // Only when gen was told not to read secrets (--only another file): never written.
      out += CommentLine("password not read");
      continue;
    }
    // postmap splits the line at the first white space, the value at its first ':' (the
    // user name has none; the password may have ':' and spaces).
    out +=
        fmt::format("{} {}:{}\n", PostfixNexthop(*relay), relay->auth->username, password->second);
  }
  return out;
}

std::string MaskSaslPasswd(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    std::size_t key_end = line.find_first_of(" \t");
    if (line.empty() || line.front() == '#') {
      out += line;  // blank lines and comments are kept (gen's --check masks foreign ones)
    } else if (line.front() == ' ' || line.front() == '\t') {
      out += " " + std::string(kMasked);  // a continuation line can only be password text
    } else if (key_end == std::string_view::npos) {
      out += kMasked;  // no key to keep: the line may be "key:user:password" without a space
    } else {
      // KEY user:password: the key and the user name stay, everything after them is masked.
      std::size_t value = line.find_first_not_of(" \t", key_end);
      std::size_t colon = value == std::string_view::npos ? value : line.find(':', value);
      std::size_t keep = colon != std::string_view::npos ? colon + 1 : key_end + 1;
      out += std::string(line.substr(0, keep)) + std::string(kMasked);
    }
    if (end != std::string_view::npos) out += '\n';
  }
  return out;
}

std::string RenderTlsPolicy(const Policy& policy, const EmitContext& context) {
  std::string out = PostfixHeader(context, "tls_policy");
  NexthopKeys keys;
  for (const Relay* relay : policy.UsedRelays()) {
    if (!relay->tls) continue;
    out += "\n" + CommentLine(fmt::format("relay \"{}\"", relay->name));
    if (std::string duplicate = keys.Claim(*relay); !duplicate.empty()) {
      out += duplicate;
      continue;
    }
    if (*relay->tls == TlsLevel::kSecure && relay->host.IsAddress()) {
      // Checked with Postfix 3.7: "secure" matches names only, even an IP in the certificate.
      out += CommentLine(
          "secure matches the certificate against the nexthop name: with an IP "
          "address Postfix");
      out += CommentLine(
          "defers every message (hostname mismatch); use the host name or "
          "\"verify\"");
    }
    out += fmt::format("{} {}\n", PostfixNexthop(*relay), TlsLevelName(*relay->tls));
  }
  return out;
}

namespace {

// mynetworks wants IPv6 in brackets ("[2001:db8::]/32"); unbracketed, smtpd answers 451.
std::string MynetworksEntry(const Network& network) {
  if (network.address.family == Family::kV4) return network.ToString();
  return fmt::format("[{}]/{}", network.address.ToString(), network.prefix);
}

}  // namespace

std::string RenderMynetworks(const Policy& policy, const EmitContext& context) {
  std::vector<Network> all;
  for (const char* loopback : {"127.0.0.0/8", "::1/128"}) {
    all.push_back(*ParseNetwork(loopback).network);
  }
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& entry : origin.networks) all.push_back(entry.network);
  }
  std::vector<Network> kept = RemoveCoveredNetworks(all);
  std::set<Network> remaining(kept.begin(), kept.end());
  // Each network is written under the first origin that lists it, if no other covers it.
  auto take = [&remaining](const Network& network) { return remaining.erase(network) > 0; };

  std::string out = PostfixHeader(context, "mynetworks");
  out += "\n" + CommentLine("loopback: Postfix no longer adds it once mynetworks is set");
  for (std::size_t i = 0; i < 2; ++i) {
    if (take(all[i])) out += MynetworksEntry(all[i]) + "\n";
  }
  for (const Origin& origin : policy.origins) {
    std::string lines;
    for (const NetworkEntry& entry : origin.networks) {
      if (take(entry.network)) lines += MynetworksEntry(entry.network) + "\n";
    }
    out += "\n" + CommentLine(fmt::format("origin \"{}\"", origin.name));
    out +=
        lines.empty() ? CommentLine("(every network of it is covered by an entry above)") : lines;
  }
  return out;
}

}  // namespace mtaroute
