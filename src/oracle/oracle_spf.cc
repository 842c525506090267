// The oracle's readers for gen spf: spf.zone (BIND lines with quoted character-strings),
// spf.txt (the value, or NAME<TAB>VALUE lines) and spf.json; and the record check they share:
// "v=spf1", then only terms the policy asks for (its origins, the used relays' egress or
// host, its includes and mechanisms), the "all" term last, and none of those missing.
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "oracle/oracle_internal.h"

namespace mtaroute::oracle {
namespace {

constexpr std::size_t kMaxString = 255;

// What one entry's record may hold, from the model.
struct SpfAllowed {
  std::vector<Net> networks;         // origins, egress, IP-literal hosts of used relays
  std::set<std::string> host_terms;  // a:HOST / mx:HOST of used relays without egress
  std::set<std::string> includes;    // "include:D"
  std::set<std::string> mechanisms;  // as written
  std::string all;
};

SpfAllowed AllowedTerms(const Policy& policy, const SpfEntry& entry) {
  SpfAllowed allowed;
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& n : origin.networks) allowed.networks.push_back(FromModel(n.network));
  }
  for (const std::string& name : UsedRelayNames(policy)) {
    const Relay& relay = *policy.FindRelay(name);
    for (const NetworkEntry& n : relay.egress) allowed.networks.push_back(FromModel(n.network));
    if (!relay.egress.empty()) continue;
    if (relay.host.IsAddress()) {
      if (auto net = ParseCanonicalNet(relay.host.text, false, nullptr)) {
        allowed.networks.push_back(*net);
      }
    } else {
      allowed.host_terms.insert((relay.mx ? "mx:" : "a:") + relay.host.text);
    }
  }
  for (const Domain& d : entry.include) allowed.includes.insert("include:" + d.name);
  allowed.mechanisms.insert(entry.mechanisms.begin(), entry.mechanisms.end());
  allowed.all = entry.all;
  return allowed;
}

bool IsAllTerm(std::string_view term) {
  if (!term.empty() && std::string_view("+-~?").find(term.front()) != std::string_view::npos) {
    term.remove_prefix(1);
  }
  return term == "all";
}

// The record of `entry` as a verifier reads it.
void CheckRecord(const Policy& policy, const SpfEntry& entry, std::string_view record, int line,
                 Report& report) {
  for (char c : record) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      report.At(line, fmt::format("record of {} holds a byte that is not printable ASCII "
                                  "(or a quote or backslash)",
                                  Q(entry.domain.name)));
      return;
    }
  }
  if (!(record == "v=spf1" || record.starts_with("v=spf1 "))) {
    report.At(line, fmt::format("record of {} does not start with \"v=spf1 \"",
                                Q(entry.domain.name)));
    return;
  }
  std::vector<std::string_view> terms;
  for (std::size_t start = 7; start <= record.size();) {
    std::size_t space = record.find(' ', start);
    terms.push_back(record.substr(start, space == std::string_view::npos ? space : space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  SpfAllowed allowed = AllowedTerms(policy, entry);
  std::vector<Net> written;
  std::set<std::string> present;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    std::string term(terms[i]);
    bool last = i + 1 == terms.size();
    if (term.empty()) {
      report.At(line, fmt::format("record of {} has an empty term (two spaces, or one at the "
                                  "end)",
                                  Q(entry.domain.name)));
      continue;
    }
    present.insert(term);
    if (last && term == allowed.all) continue;
    if (allowed.mechanisms.count(term) && !IsAllTerm(term)) continue;
    if (IsAllTerm(term)) {
      report.At(line, fmt::format("{} in the record of {} {}", Q(term), Q(entry.domain.name),
                                  last ? fmt::format("is not the policy's {}", Q(allowed.all))
                                       : std::string("is not the last term")));
      continue;
    }
    if (allowed.includes.count(term) || allowed.host_terms.count(term)) continue;
    if (term.starts_with("ip4:") || term.starts_with("ip6:")) {
      std::string error;
      std::optional<Net> net = ParseCanonicalNet(std::string_view(term).substr(4), true, &error);
      if (!net || net->v6 != term.starts_with("ip6:")) {
        report.At(line, fmt::format("{} in the record of {} is not a canonical network{}",
                                    Q(term), Q(entry.domain.name), error.empty() ? "" : ": " + error));
        continue;
      }
      bool from_policy = false;
      for (const Net& a : allowed.networks) from_policy = from_policy || NetContains(a, *net);
      if (from_policy) {
        written.push_back(*net);
        continue;
      }
    }
    report.At(line, fmt::format("term {} in the record of {} does not come from the policy",
                                Q(term), Q(entry.domain.name)));
  }
  if (terms.empty() || terms.back() != allowed.all) {
    report.At(line, fmt::format("record of {} does not end with the policy's {}",
                                Q(entry.domain.name), Q(allowed.all)));
  }
  for (const Net& need : allowed.networks) {
    bool covered = false;
    for (const Net& w : written) covered = covered || NetContains(w, need);
    if (!covered) {
      report.At(line, fmt::format("record of {} does not cover {}", Q(entry.domain.name),
                                  need.ToString()));
    }
  }
  for (const std::set<std::string>* needed :
       {&allowed.host_terms, &allowed.includes, &allowed.mechanisms}) {
    for (const std::string& term : *needed) {
      if (!present.count(term)) {
        report.At(line, fmt::format("record of {} lacks the term {}", Q(entry.domain.name),
                                    Q(term)));
      }
    }
  }
}

// Finds each record's entry by name and reports names without one, twice, or never written.
class Records {
 public:
  Records(const Policy& policy, Report& report) : policy_(policy), report_(report) {}

  void Add(std::string_view name, std::string_view record, int line) {
    const SpfEntry* entry = nullptr;
    for (const SpfEntry& e : policy_.spf) {
      if (e.domain.name == name) entry = &e;
    }
    if (!entry) {
      report_.At(line, fmt::format("a record for {}, which has no \"spf\" entry", Q(name)));
      return;
    }
    if (!seen_.insert(std::string(name)).second) {
      report_.At(line, fmt::format("a second record for {}: two SPF records are a permerror",
                                   Q(name)));
      return;
    }
    CheckRecord(policy_, *entry, record, line, report_);
  }
  const SpfEntry* Find(std::string_view name) const {
    for (const SpfEntry& e : policy_.spf) {
      if (e.domain.name == name) return &e;
    }
    return nullptr;
  }
  void ReportMissing() {
    for (const SpfEntry& e : policy_.spf) {
      if (!e.domain.name.empty() && !seen_.count(e.domain.name)) {
        report_.File(fmt::format("no record for {}", Q(e.domain.name)));
      }
    }
  }

 private:
  const Policy& policy_;
  Report& report_;
  std::set<std::string> seen_;
};

// `"..." "..."` to the bytes they stand for; false on a syntax error or a string too long.
bool ReadZoneStrings(std::string_view text, std::string& value, std::string& error) {
  if (text.empty()) {
    error = "no character-string";
    return false;
  }
  while (!text.empty()) {
    if (text.front() != '"') {
      error = "text outside the quoted strings";
      return false;
    }
    std::string bytes;
    std::size_t i = 1;
    for (; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] != '\\') {
        bytes += text[i];
      } else if (i + 3 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isdigit(static_cast<unsigned char>(text[i + 2])) &&
                 std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
        int code = std::stoi(std::string(text.substr(i + 1, 3)));
        if (code > 255) {
          error = "an escape \\DDD over 255";
          return false;
        }
        bytes += static_cast<char>(code);
        i += 3;
      } else if (i + 1 < text.size()) {
        bytes += text[++i];
      }
    }
    if (i >= text.size()) {
      error = "an unclosed quote";
      return false;
    }
    if (bytes.size() > kMaxString) {
      error = fmt::format("a character-string of {} bytes (at most {})", bytes.size(), kMaxString);
      return false;
    }
    value += bytes;
    text.remove_prefix(i + 1);
    if (!text.empty()) {
      if (text.size() < 2 || text[0] != ' ' || text[1] != '"') {
        error = "strings not separated by one space";
        return false;
      }
      text.remove_prefix(1);
    }
  }
  return true;
}

}  // namespace

void CheckSpfZone(const Policy& policy, std::string_view content, Report& report) {
  std::vector<Line> lines = SplitLines(content, report);
  CheckHeaderLine(lines, ';', report);
  Records records(policy, report);
  for (const Line& line : lines) {
    std::string_view text = line.text;
    if (!line.clean || text.empty() || text.front() == ';') continue;
    std::size_t name_end = text.find(' ');
    std::string_view name = text.substr(0, name_end);
    if (name_end == std::string_view::npos || !name.ends_with('.') ||
        !IsLowerDomain(name.substr(0, name.size() - 1), true)) {
      report.At(line.number, fmt::format("not `NAME. TTL IN TXT \"...\"` with a lower-case "
                                         "absolute name: {}",
                                         Q(text)));
      continue;
    }
    name.remove_suffix(1);
    std::string_view rest = text.substr(name_end + 1);
    std::size_t ttl_end = rest.find(' ');
    std::string_view ttl = rest.substr(0, ttl_end);
    if (ttl_end == std::string_view::npos || ttl.empty() || ttl.size() > 10 ||
        ttl.find_first_not_of("0123456789") != std::string_view::npos ||
        !rest.substr(ttl_end).starts_with(" IN TXT ")) {
      report.At(line.number, fmt::format("not `NAME. TTL IN TXT \"...\"`: {}", Q(text)));
      continue;
    }
    std::string value, error;
    if (!ReadZoneStrings(rest.substr(ttl_end + 8), value, error)) {
      report.At(line.number, fmt::format("TXT data of {}: {}", Q(name), error));
      continue;
    }
    if (const SpfEntry* entry = records.Find(name); entry && std::to_string(entry->ttl) != ttl) {
      report.At(line.number, fmt::format("TTL {} for {}; the policy says {}", ttl, Q(name),
                                         entry->ttl));
    }
    records.Add(name, value, line.number);
  }
  records.ReportMissing();
}

void CheckSpfTxt(const Policy& policy, std::string_view content, Report& report) {
  if (content.empty() && policy.spf.empty()) return;
  std::vector<Line> lines = SplitLines(content, report, /*allow_tab=*/true);
  Records records(policy, report);
  for (const Line& line : lines) {
    if (!line.clean) continue;
    std::string_view text = line.text;
    if (policy.spf.size() == 1) {
      if (lines.size() != 1) {
        report.At(line.number, "one record: the file is its value alone, on one line");
        continue;
      }
      records.Add(policy.spf[0].domain.name, text, line.number);
      continue;
    }
    std::size_t tab = text.find('\t');
    if (tab == std::string_view::npos || text.find('\t', tab + 1) != std::string_view::npos ||
        !IsLowerDomain(text.substr(0, tab), true)) {
      report.At(line.number, fmt::format("not `NAME<TAB>VALUE`: {}", Q(text)));
      continue;
    }
    records.Add(text.substr(0, tab), text.substr(tab + 1), line.number);
  }
  records.ReportMissing();
}

void CheckSpfJson(const Policy& policy, std::string_view content, Report& report) {
  if (content.empty() || content.back() != '\n') report.File("does not end with a line feed");
  nlohmann::json document = nlohmann::json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!document.is_array()) {
    report.File("not a JSON array");
    return;
  }
  Records records(policy, report);
  int index = 0;
  for (const nlohmann::json& item : document) {
    ++index;  // "line" here: the element's position in the array
    static const std::set<std::string> kKeys = {"name", "ttl", "value", "strings", "lookups"};
    bool shape = item.is_object() && item.size() == kKeys.size();
    for (const std::string& key : kKeys) shape = shape && item.contains(key);
    if (!shape || !item["name"].is_string() || !item["ttl"].is_number_unsigned() ||
        !item["value"].is_string() || !item["strings"].is_array() ||
        !item["lookups"].is_number_unsigned()) {
      report.At(index, "element is not {name, ttl, value, strings, lookups} of the right types");
      continue;
    }
    std::string name = item["name"], value = item["value"], joined;
    for (const nlohmann::json& s : item["strings"]) {
      if (!s.is_string() || s.get<std::string>().size() > kMaxString) {
        report.At(index, fmt::format("strings of {}: not strings of at most {} bytes", Q(name),
                                     kMaxString));
        joined.clear();
        break;
      }
      joined += s.get<std::string>();
    }
    if (joined != value) {
      report.At(index, fmt::format("strings of {} do not join to its value", Q(name)));
    }
    const SpfEntry* entry = records.Find(name);
    if (entry && item["ttl"].get<std::uint64_t>() != entry->ttl) {
      report.At(index, fmt::format("ttl of {} is not the policy's {}", Q(name), entry->ttl));
    }
    int lookups = 0;
    for (std::size_t start = 0; start < value.size();) {
      std::size_t end = value.find(' ', start);
      std::string term = value.substr(start, end == std::string::npos ? end : end - start);
      start = end == std::string::npos ? value.size() : end + 1;
      if (!term.empty() && std::string_view("+-~?").find(term[0]) != std::string_view::npos) {
        term.erase(0, 1);
      }
      std::string mechanism = term.substr(0, term.find_first_of(":/="));
      for (char& c : mechanism) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      static const std::set<std::string> kQuery = {"include", "a",      "mx",      "ptr",
                                                   "exists",  "redirect"};
      if (kQuery.count(mechanism)) ++lookups;
    }
    if (item["lookups"].get<std::uint64_t>() != static_cast<std::uint64_t>(lookups)) {
      report.At(index, fmt::format("lookups of {} is {}; its value makes {}", Q(name),
                                   item["lookups"].get<std::uint64_t>(), lookups));
    }
    records.Add(name, value, index);
  }
  records.ReportMissing();
}

}  // namespace mtaroute::oracle
