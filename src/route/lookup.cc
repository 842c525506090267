// Table readers and lookups that follow the real programs: postmap's line reader (readlline)
// and transport(5) search order for Postfix, control_readfile + constmap and qmail-remote's
// suffix loop for qmail (FORMATS.md).
#include "route/lookup.h"

#include <fmt/format.h>

namespace mtaroute {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// A logical line of a Postfix file (readlline): whole-line comments and blank lines skipped,
// a line that starts with white space continues the previous one.
struct LogicalLine {
  int number = 0;
  std::string text;
};

std::vector<LogicalLine> PostfixLines(std::string_view text) {
  std::vector<LogicalLine> lines;
  int number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    if (IsSpace(line.front()) && !lines.empty()) {
      lines.back().text += line;
    } else {
      lines.push_back({number, std::string(line)});
    }
  }
  return lines;
}

// Postfix's transport search keys for a domain: "a.b.c", ".b.c", ".c".
std::vector<std::string> ParentKeys(const std::string& domain) {
  std::vector<std::string> keys = {domain};
  for (std::size_t i = 1; i < domain.size(); ++i) {
    if (domain[i] == '.') keys.push_back(domain.substr(i));
  }
  return keys;
}

// "[relay]:587" from "smtp:[relay]:587": the transport before the first ':', the nexthop after.
void SplitTransportValue(const std::string& value, Decision& decision) {
  std::size_t colon = value.find(':');
  decision.transport = value.substr(0, colon);
  decision.nexthop = colon == std::string::npos ? "" : value.substr(colon + 1);
}

// scan_ulong: the leading decimal digits, 0 when there are none.
unsigned long ScanUlong(std::string_view text) {
  unsigned long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  return value;
}

}  // namespace

std::string FoldAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

PostfixTables::PostfixTables(std::string_view transport_text, std::string_view main_cf_text) {
  for (LogicalLine& line : PostfixLines(transport_text)) {
    std::string_view text = Trim(line.text);
    std::size_t split = 0;
    while (split < text.size() && !IsSpace(text[split])) ++split;
    std::string_view value = Trim(text.substr(split));
    if (value.empty()) continue;  // postmap: "expected format: key whitespace value"
    std::string key = FoldAscii(text.substr(0, split));
    entries_.emplace(key, TableLine{"transport", line.number, std::string(text), key,
                                    std::string(value)});  // the first of equal keys wins
  }
  for (LogicalLine& line : PostfixLines(main_cf_text)) {
    std::size_t equals = line.text.find('=');
    if (equals == std::string::npos) continue;
    if (Trim(std::string_view(line.text).substr(0, equals)) != "relayhost") continue;
    std::string value(Trim(std::string_view(line.text).substr(equals + 1)));
    if (value.empty()) {
      relayhost_.reset();  // a later "relayhost =" turns an earlier one off
    } else {
      relayhost_ = TableLine{"main.cf", line.number, std::string(Trim(line.text)), "relayhost",
                             value};
    }
  }
}

Decision PostfixTables::Lookup(std::string_view recipient) const {
  Decision decision;
  std::size_t at = recipient.rfind('@');
  std::string domain(at == std::string_view::npos ? recipient : recipient.substr(at + 1));
  if (domain.ends_with(".")) domain.pop_back();
  domain = FoldAscii(domain);
  std::vector<std::string> keys;
  if (at != std::string_view::npos) {
    keys.push_back(FoldAscii(recipient.substr(0, at)) + "@" + domain);
  }
  for (std::string& key : ParentKeys(domain)) keys.push_back(std::move(key));
  keys.push_back("*");
  for (const std::string& key : keys) {
    decision.tried.push_back(key);
    auto found = entries_.find(key);
    if (found == entries_.end()) continue;
    decision.entry = found->second;
    SplitTransportValue(found->second.value, decision);
    if (!decision.transport.empty() || !decision.nexthop.empty()) {
      decision.direct = decision.nexthop.empty();  // "smtp:": the recipient domain's MX
      return decision;
    }
    break;  // ":": the table changes nothing; what applies without it follows
  }
  decision.by_default = true;
  decision.transport.clear();
  decision.nexthop.clear();
  if (relayhost_) {
    decision.direct = false;
    decision.nexthop = relayhost_->value;
    (decision.entry ? decision.fallback : decision.entry) = relayhost_;
  }
  return decision;
}

QmailRoutes::QmailRoutes(std::string_view smtproutes_text) {
  int number = 0;
  while (!smtproutes_text.empty()) {
    std::size_t end = smtproutes_text.find('\n');
    std::string_view line = smtproutes_text.substr(0, end);
    smtproutes_text.remove_prefix(end == std::string_view::npos ? smtproutes_text.size()
                                                                : end + 1);
    ++number;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = FoldAscii(line.substr(0, colon));
    entries_[key] = TableLine{"smtproutes", number, std::string(line), key,
                              std::string(line.substr(colon + 1))};  // the last wins
  }
}

Decision QmailRoutes::Lookup(std::string_view recipient) const {
  Decision decision;
  std::size_t at = recipient.rfind('@');
  std::string host = FoldAscii(at == std::string_view::npos ? recipient : recipient.substr(at + 1));
  const TableLine* hit = nullptr;
  for (std::size_t i = 0; i <= host.size() && hit == nullptr; ++i) {
    if (i != 0 && i != host.size() && host[i] != '.') continue;
    std::string key = host.substr(i);
    decision.tried.push_back(key);
    if (auto found = entries_.find(key); found != entries_.end()) hit = &found->second;
  }
  decision.by_default = hit == nullptr || hit->key.empty();
  if (hit == nullptr) return decision;
  decision.entry = *hit;
  if (hit->value.empty()) return decision;  // "domain:": MX delivery
  decision.direct = false;
  std::size_t colon = hit->value.find(':');
  unsigned long port = colon == std::string::npos ? 25 : ScanUlong(hit->value.substr(colon + 1));
  decision.nexthop = fmt::format("{}:{}", hit->value.substr(0, colon), port);
  return decision;
}

}  // namespace mtaroute
