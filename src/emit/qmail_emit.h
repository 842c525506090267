// The qmail target's pieces, one function per generated file, exposed for the unit tests:
// control/smtproutes (qmail-remote's routes), tcp.smtp (ucspi-tcp rules for a relay running
// qmail-smtpd) and the install steps. Pure functions of the canonical model: no I/O, no failure;
// gen qmail has refused, before they run, what stock qmail cannot do. The target table entry
// (kQmailTarget) lives in qmail.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emit/output.h"
#include "policy/policy.h"

namespace mtaroute {

// Where the files go on the servers (Debian's qmail and "Life with qmail" use the same).
inline constexpr std::string_view kQmailControlDir = "/var/qmail/control";
inline constexpr std::string_view kTcpRulesDir = "/etc";

// The relay field of an smtproutes line: "relay.example.net:587", "192.0.2.25:25" (an IPv4
// address without brackets; qmail-remote takes both spellings). Always with the port.
std::string QmailRelayField(const Relay& relay);

// control/smtproutes: one group per route in policy order (as Postfix's transport), headed by
// comment lines (the route, its note); inside a group the domains sorted, each `domain:` then
// `.domain:` (subdomains) followed by `host:port`, or by nothing for "direct" (normal MX
// delivery: always written, so every route of the policy has its lines, and a direct route
// under a routed parent's `.parent` still escapes it). Then the default `:host:port`, last.
// Each key once: qmail-remote would keep the LAST duplicate, Postfix the first; the first wins
// here. A route whose relay stock qmail-remote cannot use gets a comment, never a wrong line
// (gen qmail refuses such a policy before this runs).
std::string RenderSmtproutes(const Policy& policy, const EmitContext& context);
// The same text, written on to `out` as it is made (gen --only smtproutes).
void WriteSmtproutes(const Policy& policy, const EmitContext& context, TextSink& out);

// tcp.smtp for tcprules: loopback, then each origin's IPv4 networks (ones covered by an
// earlier or wider entry dropped) as tcprules patterns with `allow,RELAYCLIENT=""`, then
// `:allow`. IPv6 networks get a comment only (gen qmail refuses them before this runs).
std::string RenderTcpSmtp(const Policy& policy, const EmitContext& context);

// smtproutes always; tcp.smtp when the policy has origins.
std::vector<OutputFile> EmitQmail(const Policy& policy, const EmitContext& context);

// The shell commands that install the changed files from out_dir: smtproutes into
// /var/qmail/control (via a temporary name and a rename, so no qmail-remote reads half a
// file; no restart), tcp.smtp into /etc and its compilation with tcprules.
std::string RenderQmailInstallSteps(const std::vector<std::string>& changed,
                                    const std::string& out_dir);


}  // namespace mtaroute
