// The oracle's entry point (which reader checks which file, which files a policy needs) and
// the pieces every reader shares: lines and their bytes, token syntax, addresses, nexthops.
#include "oracle/oracle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "oracle/oracle_internal.h"
#include "util/text.h"

namespace mtaroute {
namespace oracle {

void Report::At(int line, std::string message) {
  if (++count_ > kMaxPerFile) return;
  if (count_ == kMaxPerFile) message = "too many findings; the rest are not shown";
  out_.push_back({file_, line, std::move(message)});
}

std::string Q(std::string_view text) { return Quote(text, 80); }

std::vector<Line> SplitLines(std::string_view content, Report& report, bool allow_tab) {
  std::vector<Line> lines;
  if (content.empty()) {
    report.File("the file is empty (every file starts with its header)");
    return lines;
  }
  if (content.back() != '\n') report.File("the last line does not end with a line feed");
  int number = 0;
  while (!content.empty()) {
    std::size_t end = content.find('\n');
    Line line{++number, content.substr(0, end), true};
    content.remove_prefix(end == std::string_view::npos ? content.size() : end + 1);
    for (std::size_t i = 0; i < line.text.size(); ++i) {
      auto c = static_cast<unsigned char>(line.text[i]);
      if ((c < 0x20 && !(c == '\t' && allow_tab)) || c == 0x7f) {
        report.At(line.number, fmt::format("control character 0x{:02x} at byte {}: {}", c, i + 1,
                                           Q(line.text)));
        line.clean = false;
        break;
      }
    }
    lines.push_back(line);
  }
  return lines;
}

void CheckHeaderLine(const std::vector<Line>& lines, char comment, Report& report) {
  if (!lines.empty() && (lines[0].text.empty() || lines[0].text[0] != comment)) {
    report.At(1, fmt::format("the file does not start with its header comment ('{}' line)",
                             comment));
  }
}

bool IsLowerDomain(std::string_view text, bool allow_underscore, int min_labels) {
  if (text.empty() || text.size() > 253) return false;
  int labels = 0;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = text.find('.', start);
    std::string_view label = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                (allow_underscore && c == '_');
      if (!ok) return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= min_labels;
}

std::optional<int> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || text[0] == '0') return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return value;
}

std::string Net::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
  return fmt::format("{}/{}", buffer, prefix);
}

std::optional<Net> ParseCanonicalNet(std::string_view text, bool prefix_allowed,
                                     std::string* error) {
  auto fail = [error](std::string message) -> std::optional<Net> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  std::string_view address = text;
  std::optional<int> prefix;
  if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    if (!prefix_allowed) return fail("a prefix length where an address belongs");
    address = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0') ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return fail("a prefix length that is not a plain decimal number");
    }
    prefix = std::stoi(std::string(digits));
  }
  if (address.empty() || address.size() >= INET6_ADDRSTRLEN ||
      address.find_first_not_of("0123456789abcdef.:") != std::string_view::npos) {
    return fail("not an IP address in canonical (lower-case) form");
  }
  Net net;
  net.v6 = address.find(':') != std::string_view::npos;
  std::string copy(address);
  if (inet_pton(net.v6 ? AF_INET6 : AF_INET, copy.c_str(), net.bytes.data()) != 1) {
    return fail("not an IP address");
  }
  char back[INET6_ADDRSTRLEN] = {};
  inet_ntop(net.v6 ? AF_INET6 : AF_INET, net.bytes.data(), back, sizeof back);
  if (copy != back) return fail(fmt::format("not in canonical form (write {})", back));
  net.prefix = prefix.value_or(net.Bits());
  if (net.prefix > net.Bits()) return fail("a prefix length past the address size");
  for (int bit = net.prefix; bit < net.Bits(); ++bit) {
    if (net.bytes[bit / 8] & (0x80 >> (bit % 8))) return fail("host bits set after the prefix");
  }
  return net;
}

bool NetContains(const Net& outer, const Net& inner) {
  if (outer.v6 != inner.v6 || outer.prefix > inner.prefix) return false;
  for (int bit = 0; bit < outer.prefix; ++bit) {
    int mask = 0x80 >> (bit % 8);
    if ((outer.bytes[bit / 8] & mask) != (inner.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

Net FromModel(const Network& network) {
  Net net;
  net.v6 = network.address.family == Family::kV6;
  net.bytes = network.address.bytes;
  net.prefix = network.prefix;
  return net;
}

std::string ExpectedPostfixNexthop(const Relay& relay) {
  switch (relay.host.kind) {
    case Host::Kind::kIpv6: return fmt::format("[ipv6:{}]:{}", relay.host.text, relay.port);
    case Host::Kind::kIpv4: return fmt::format("[{}]:{}", relay.host.text, relay.port);
    case Host::Kind::kName: break;
  }
  if (relay.mx) return fmt::format("{}:{}", relay.host.text, relay.port);
  return fmt::format("[{}]:{}", relay.host.text, relay.port);
}

std::string CheckPostfixNexthopSyntax(std::string_view nexthop) {
  std::string_view host = nexthop;
  std::string_view port;
  bool bracketed = !host.empty() && host.front() == '[';
  std::size_t host_end = bracketed ? host.find(']') : host.find(':');
  if (bracketed && host_end == std::string_view::npos) return "an unclosed '['";
  if (host_end != std::string_view::npos) {
    std::string_view rest = host.substr(host_end + (bracketed ? 1 : 0));
    host = host.substr(bracketed ? 1 : 0, host_end - (bracketed ? 1 : 0));
    if (!rest.empty()) {
      if (rest.front() != ':') return "text after the host that is not \":PORT\"";
      port = rest.substr(1);
      if (!ParsePort(port)) return "a port that is not 1..65535";
    }
  }
  if (bracketed && host.starts_with("ipv6:")) {
    std::string error;
    auto net = ParseCanonicalNet(host.substr(5), false, &error);
    if (!net || !net->v6) return "an ipv6: nexthop that is not a canonical IPv6 address";
    return {};
  }
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    auto net = ParseCanonicalNet(host, false, nullptr);
    if (!net) return "a host that is not a canonical IPv4 address";
    if (!bracketed) return "an IP address without brackets (Postfix would look up its MX)";
    return {};
  }
  if (!IsLowerDomain(host, false, 1)) return "a host that is not a lower-case host name";
  return {};
}

std::set<std::string> UsedRelayNames(const Policy& policy) {
  std::set<std::string> used;
  auto add = [&](const std::string& name) {
    if (name != kDirect && policy.FindRelay(name)) used.insert(name);
  };
  for (const Route& route : policy.routes) add(route.relay);
  add(policy.default_route);
  return used;
}

std::vector<TableEntry> ReadPostfixTable(const std::vector<Line>& lines, Report& report,
                                         bool value_spaces) {
  std::vector<TableEntry> entries;
  for (const Line& line : lines) {
    std::string_view text = line.text;
    if (!line.clean || text.empty() || text.front() == '#') continue;
    if (text.front() == ' ') {
      report.At(line.number, fmt::format("line starts with white space: postmap joins it to the "
                                         "entry above: {}",
                                         Q(text)));
      continue;
    }
    std::size_t space = text.find(' ');
    if (space == std::string_view::npos) {
      report.At(line.number, fmt::format("entry without a value: {}", Q(text)));
      continue;
    }
    TableEntry entry{line.number, text.substr(0, space), text.substr(space + 1)};
    if (entry.value.empty() || entry.value.front() == ' ') {
      report.At(line.number, fmt::format("not `KEY VALUE` with one space: {}", Q(text)));
      continue;
    }
    if (entry.value.back() == ' ') {
      report.At(line.number, "white space at the end of the value (postmap drops it)");
      continue;
    }
    if (!value_spaces && entry.value.find(' ') != std::string_view::npos) {
      report.At(line.number, fmt::format("a value with white space in it: {}", Q(text)));
      continue;
    }
    entries.push_back(entry);
  }
  return entries;
}

namespace {

using Reader = void (*)(const Policy&, const EmitContext&, std::string_view, Report&);

struct FileKind {
  std::string_view target;
  std::string_view name;
  Reader read;
  bool (*needed)(const Policy&);  // the file must be there; nullptr: always
};

template <void (*F)(const Policy&, std::string_view, Report&)>
void Plain(const Policy& policy, const EmitContext&, std::string_view text, Report& report) {
  F(policy, text, report);
}

bool UsesAuth(const Policy& policy) {
  for (const std::string& name : UsedRelayNames(policy)) {
    if (policy.FindRelay(name)->auth) return true;
  }
  return false;
}
bool UsesTls(const Policy& policy) {
  for (const std::string& name : UsedRelayNames(policy)) {
    if (policy.FindRelay(name)->tls) return true;
  }
  return false;
}
bool HasOrigins(const Policy& policy) { return !policy.origins.empty(); }

// The one place that says which reader checks which generated file.
constexpr FileKind kFiles[] = {
    {"postfix", "transport", Plain<CheckTransport>, nullptr},
    {"postfix", "main.cf", CheckMainCf, nullptr},
    {"postfix", "sasl_passwd", CheckSaslPasswd, UsesAuth},
    {"postfix", "tls_policy", Plain<CheckTlsPolicy>, UsesTls},
    {"postfix", "mynetworks", Plain<CheckMynetworks>, HasOrigins},
    {"qmail", "smtproutes", Plain<CheckSmtproutes>, nullptr},
    {"qmail", "tcp.smtp", Plain<CheckTcpSmtp>, HasOrigins},
    {"spf", "spf.zone", Plain<CheckSpfZone>, nullptr},
    {"spf", "spf.txt", Plain<CheckSpfTxt>, nullptr},
    {"spf", "spf.json", Plain<CheckSpfJson>, nullptr},
};

}  // namespace
}  // namespace oracle

std::string FormatFinding(const OracleFinding& finding) {
  if (finding.line == 0) return fmt::format("{}: {}", finding.file, finding.message);
  return fmt::format("{}:{}: {}", finding.file, finding.line, finding.message);
}

std::vector<OracleFinding> CheckGeneratedFiles(const Policy& policy, std::string_view target,
                                               const EmitContext& context,
                                               const std::vector<OutputFile>& files) {
  using namespace oracle;
  std::vector<OracleFinding> out;
  std::set<std::string> seen;
  for (const OutputFile& file : files) {
    Report report(file.name, out);
    if (!seen.insert(file.name).second) report.File("generated twice");
    bool secret = file.name == "sasl_passwd";
    if (file.secret != secret) {
      report.File(secret ? "holds passwords but is not marked secret (mode 0600)"
                         : "marked secret but holds no password");
    }
    const FileKind* kind = nullptr;
    for (const FileKind& k : kFiles) {
      if (k.target == target && k.name == file.name) kind = &k;
    }
    if (!kind) {
      report.File(fmt::format("no oracle reader for this file of target {}: add one in "
                              "src/oracle/",
                              target));
      continue;
    }
    if (target == "spf" && file.name != "spf." + context.spf_format) {
      report.File(fmt::format("written for --format {}", context.spf_format));
    }
    kind->read(policy, context, file.content, report);
  }
  for (const FileKind& k : kFiles) {
    if (k.target != target || seen.count(std::string(k.name))) continue;
    bool spf_other_format = target == "spf" && k.name != "spf." + context.spf_format;
    if (!spf_other_format && (!k.needed || k.needed(policy))) {
      Report(std::string(k.name), out).File("the policy needs this file, but it was not generated");
    }
  }
  if (files.empty() && target != "postfix" && target != "qmail" && target != "spf") {
    out.push_back({"", 0, fmt::format("unknown target {}", Quote(target))});
  }
  return out;
}

}  // namespace mtaroute
