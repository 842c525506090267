// The Postfix target's pieces, one function per generated file, exposed for the unit tests:
// transport, main.cf, sasl_passwd, tls_policy, mynetworks, and the install steps. All are pure
// functions of the canonical model (no I/O, no failure); lint has rejected what Postfix cannot
// take before they run. The target table entry (kPostfixTarget) lives in postfix.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emit/output.h"
#include "policy/policy.h"

namespace mtaroute {

// The nexthop exactly as transport and relayhost write it, which is also the sasl_passwd and
// tls_policy key: "[relay.example.net]:587", "[192.0.2.1]:25", "[ipv6:2001:db8::1]:587", and
// with "mx": true "relays.example.org:25" (no brackets: Postfix looks up its MX).
std::string PostfixNexthop(const Relay& relay);

// transport(5): one group per route in policy order, headed by comment lines (the route, its
// note); inside a group the domains sorted, each `domain` then `.domain` (subdomains). Value
// `smtp:NEXTHOP`, or `smtp:` (normal MX delivery, also past a relayhost) for "direct".
std::string RenderTransport(const Policy& policy, const EmitContext& context);
// The same text, written on to `out` as it is made (gen --only transport).
void WriteTransport(const Policy& policy, const EmitContext& context, TextSink& out);

// The settings the policy needs, as `name = value` lines under whole-line comments; relay-side
// settings (mynetworks) last, under their own comment.
std::string RenderMainCf(const Policy& policy, const EmitContext& context);

// `NEXTHOP user:password` per used relay with auth (password from context.passwords).
std::string RenderSaslPasswd(const Policy& policy, const EmitContext& context);
// The same text with every password replaced by "********" (for stdout and diffs).
std::string MaskSaslPasswd(std::string_view text);

// `NEXTHOP level` per used relay with "tls".
std::string RenderTlsPolicy(const Policy& policy, const EmitContext& context);

// Loopback, then each origin's networks (covered ones dropped), IPv6 bracketed.
std::string RenderMynetworks(const Policy& policy, const EmitContext& context);

// Which of the files the policy needs, in the fixed order transport, main.cf, sasl_passwd,
// tls_policy, mynetworks.
std::vector<OutputFile> EmitPostfix(const Policy& policy, const EmitContext& context);

// The shell commands that install the changed files from out_dir: copies with their modes,
// postmap, `postconf -e` for every setting of main_cf (the generated main.cf text; only read
// when "main.cf" changed), postfix reload; relay-side steps separately.
std::string RenderPostfixInstallSteps(const std::vector<std::string>& changed,
                                      const std::string& out_dir, const EmitContext& context,
                                      std::string_view main_cf);

// Settings of Postfix that belong on the relay server, not on the sending one.
bool IsRelaySideSetting(std::string_view name);

// Shared by the Postfix files: the rendered header of file NAME, and `# TEXT\n` with control
// characters replaced by '?' so that no text can end the comment line.
std::string PostfixHeader(const EmitContext& context, std::string_view name);

}  // namespace mtaroute
