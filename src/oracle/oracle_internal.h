// Pieces shared by the oracle's per-format readers: a findings sink per file, line splitting
// with the byte checks every format needs, strict syntax of the tokens they hold (names,
// addresses, networks, ports), and what the policy says, computed again from the model.
// Not for use outside src/oracle/ (see oracle.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "emit/output.h"
#include "oracle/oracle.h"
#include "policy/policy.h"

namespace mtaroute::oracle {

// Collects the findings about one file; caps them so a broken file cannot flood a report.
class Report {
 public:
  Report(std::string file, std::vector<OracleFinding>& out) : file_(std::move(file)), out_(out) {}
  void At(int line, std::string message);
  void File(std::string message) { At(0, std::move(message)); }
  const std::string& file() const { return file_; }

 private:
  static constexpr int kMaxPerFile = 50;
  std::string file_;
  std::vector<OracleFinding>& out_;
  int count_ = 0;
};

struct Line {
  int number = 0;
  std::string_view text;
  bool clean = true;  // false when a byte check failed (reported); readers skip such lines
};

// Splits into lines. Reports an empty file, a missing final line feed, and any control byte
// (CR, NUL, DEL, ...) other than the line feed, and tab unless allow_tab.
std::vector<Line> SplitLines(std::string_view content, Report& report, bool allow_tab = false);

// `"text"` escaped and shortened, for messages.
std::string Q(std::string_view text);

// Strict syntax of the tokens that generated lines hold.
// A lower-case A-label name: labels of [a-z0-9-] (and '_' when allow_underscore), 1..63
// bytes, no hyphen at either end, 253 bytes in all; `min_labels` labels at least.
bool IsLowerDomain(std::string_view text, bool allow_underscore, int min_labels = 2);
// 1..65535, decimal, no sign, no leading zero.
std::optional<int> ParsePort(std::string_view text);

struct Net {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 32;
  int Bits() const { return v6 ? 128 : 32; }
  std::string ToString() const;  // "a.b.c.d/n", "x::/n"
  auto operator<=>(const Net&) const = default;
};
// An address in its one canonical spelling (IPv4 without leading zeros, IPv6 as inet_ntop
// writes it), optionally "/prefix" (decimal, no leading zero) with no host bits set.
// `error` says what is wrong when nullopt is returned.
std::optional<Net> ParseCanonicalNet(std::string_view text, bool prefix_allowed,
                                     std::string* error);
bool NetContains(const Net& outer, const Net& inner);
Net FromModel(const Network& network);

// Postfix nexthop spelling, as FORMATS prescribes: "[host]:port", "[ipv6:addr]:port",
// "host:port" with "mx": true. Syntax check of any nexthop: "" when well-formed.
std::string ExpectedPostfixNexthop(const Relay& relay);
std::string CheckPostfixNexthopSyntax(std::string_view nexthop);

// The relays a route or the default names (used relays), by name.
std::set<std::string> UsedRelayNames(const Policy& policy);

// Postfix-style `key value` table line, or a whole-line comment / empty line.
struct TableEntry {
  int line = 0;
  std::string_view key;
  std::string_view value;
};
// Reads a table whose entries are `KEY SP VALUE`; value may hold spaces when
// value_spaces (sasl_passwd passwords), never trailing ones (postmap drops them).
std::vector<TableEntry> ReadPostfixTable(const std::vector<Line>& lines, Report& report,
                                         bool value_spaces);
// Reports a comment-capable file whose first line is not a comment (the header).
void CheckHeaderLine(const std::vector<Line>& lines, char comment, Report& report);

// Per-format readers (oracle_postfix.cc, oracle_qmail.cc, oracle_spf.cc).
void CheckTransport(const Policy& policy, std::string_view content, Report& report);
void CheckMainCf(const Policy& policy, const EmitContext& context, std::string_view content,
                 Report& report);
void CheckSaslPasswd(const Policy& policy, const EmitContext& context, std::string_view content,
                     Report& report);
void CheckTlsPolicy(const Policy& policy, std::string_view content, Report& report);
void CheckMynetworks(const Policy& policy, std::string_view content, Report& report);
void CheckSmtproutes(const Policy& policy, std::string_view content, Report& report);
void CheckTcpSmtp(const Policy& policy, std::string_view content, Report& report);
void CheckSpfZone(const Policy& policy, std::string_view content, Report& report);
void CheckSpfTxt(const Policy& policy, std::string_view content, Report& report);
void CheckSpfJson(const Policy& policy, std::string_view content, Report& report);

}  // namespace mtaroute::oracle
