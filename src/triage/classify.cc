// The rule table compiled once (phrases normalised, code ranges parsed) and matched with
// plain substring search: no regular expressions, since replies are short and rules few.
#include "triage/classify.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mtaroute {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
bool IsSeparator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '_'; }

// Length of an enhanced status code "d.d{1,3}.d{1,3}" at the start of text, 0 if none.
std::size_t EnhancedCodeLength(std::string_view text) {
  if (text.size() < 5 || !IsDigit(text[0]) || text[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t start = i;
    while (i < text.size() && i - start < 4 && IsDigit(text[i])) ++i;
    if (i == start || i - start > 3) return 0;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  if (i < text.size() && !IsSeparator(text[i])) return 0;
  return i;
}

// The 3-digit reply code at the start of text (after blanks), "" when there is none.
std::string_view ReplyCode(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && IsSeparator(text[i])) ++i;
  if (text.size() - i < 3 || text[i] < '2' || text[i] > '5' || !IsDigit(text[i + 1]) ||
      !IsDigit(text[i + 2])) {
    return {};
  }
  if (i + 3 < text.size() && text[i + 3] != '-' && !IsSeparator(text[i + 3])) return {};
  return text.substr(i, 3);
}

StatusCode ParseEnhanced(std::string_view text) {
  StatusCode code;
  std::size_t length = EnhancedCodeLength(text);
  if (length == 0) return code;
  const char* p = text.data();
  const char* end = p + length;
  p = std::from_chars(p, end, code.cls).ptr + 1;
  p = std::from_chars(p, end, code.subject).ptr + 1;
  std::from_chars(p, end, code.detail);
  return code;
}

std::vector<std::string> SplitNormalized(std::string_view list, char separator) {
  std::vector<std::string> out;
  while (!list.empty()) {
    std::size_t end = list.find(separator);
    std::string_view item = list.substr(0, end);
    if (!item.empty()) {
      std::string normalized;
      if (separator == '|') {
        NormalizeReply(item, false, normalized);
      } else {
        for (char c : item) normalized.push_back(Lower(c));
      }
      out.push_back(std::move(normalized));
    }
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return out;
}

std::vector<Needle> Needles(std::string_view list) {
  std::vector<Needle> out;
  for (std::string& phrase : SplitNormalized(list, '|')) out.emplace_back(std::move(phrase));
  return out;
}

bool ContainsAny(std::string_view text, const std::vector<Needle>& needles) {
  for (const Needle& needle : needles) {
    if (needle.In(text)) return true;
  }
  return false;
}

// Reasons whose replies may name a block list (the others are not searched for one).
bool NamesList(Reason reason) {
  switch (reason) {
    case Reason::kBlocklist:
    case Reason::kBlocklistPbl:
    case Reason::kDomainReputation:
    case Reason::kIpBlock:
    case Reason::kIpBan:
    case Reason::kNetworkBlock:
    case Reason::kPolicy:
    case Reason::kOther:
      return true;
    default:
      return false;
  }
}

}  // namespace

void NormalizeReply(std::string_view reply, bool strip_codes, std::string& out) {
  // Lower case for letters, 0 for separators: one table lookup per byte.
  static constexpr std::array<char, 256> kFold = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 256; ++c) table[c] = static_cast<char>(c);
    for (int c = 'A'; c <= 'Z'; ++c) table[c] = static_cast<char>(c + 32);
    for (char c : {' ', '\t', '\r', '\n', '_', '\0'}) table[static_cast<unsigned char>(c)] = 0;
    return table;
  }();
  const std::size_t n = reply.size();
  auto at_separator = [&](std::size_t i) {
    char f = kFold[static_cast<unsigned char>(reply[i])];
    return f == 0 || (f == '\\' && i + 1 < n && reply[i + 1] == 'n');  // Exim's "\n"
  };
  std::string_view code = strip_codes ? ReplyCode(reply) : std::string_view{};
  out.resize(n);  // never longer than the input
  char* o = out.data();
  std::size_t length = 0;
  std::size_t i = 0;
  for (;;) {
    while (i < n && at_separator(i)) i += reply[i] == '\\' ? 2 : 1;
    if (i >= n) break;
    if (!code.empty() && reply.compare(i, 3, code) == 0 &&
        (i + 3 == n || reply[i + 3] == '-' || at_separator(i + 3))) {
      i = std::min(n, i + 4);  // the code and its '-' or blank, then "5.7.1"
      i += EnhancedCodeLength(reply.substr(i));
      continue;
    }
    if (length > 0) o[length++] = ' ';
    while (i < n && !at_separator(i)) o[length++] = kFold[static_cast<unsigned char>(reply[i++])];
  }
  out.resize(length);
}

StatusCode ExtractStatusCode(std::string_view reply, std::string_view fallback) {
  std::string_view code = ReplyCode(reply);
  if (!code.empty()) {
    std::size_t after = static_cast<std::size_t>(code.data() - reply.data()) + 4;
    if (after < reply.size()) {
      StatusCode status = ParseEnhanced(reply.substr(after));
      if (status.cls != 0) return status;
    }
  }
  return ParseEnhanced(fallback);
}

Needle::Needle(std::string text) : text_(std::move(text)) {
  std::size_t n = text_.size();
  std::size_t limit = n == 0 ? 1 : std::min<std::size_t>(n, 255);
  skip_.fill(static_cast<std::uint8_t>(limit));
  for (std::size_t i = n > limit ? n - limit : 0; i + 1 < n; ++i) {
    skip_[static_cast<unsigned char>(text_[i])] = static_cast<std::uint8_t>(n - 1 - i);
  }
}

bool Needle::In(std::string_view haystack) const {
  const std::size_t n = text_.size();
  if (n == 0) return true;
  if (haystack.size() < n) return false;
  const char* hay = haystack.data();
  const char last = text_[n - 1];
  for (std::size_t i = 0; i + n <= haystack.size();) {
    char c = hay[i + n - 1];
    if (c == last && std::memcmp(hay + i, text_.data(), n - 1) == 0) return true;
    i += skip_[static_cast<unsigned char>(c)];
  }
  return false;
}

bool HasDomainSuffix(std::string_view name, std::string_view suffix) {
  if (suffix.empty() || name.size() < suffix.size()) return false;
  std::size_t start = name.size() - suffix.size();
  if (start > 0 && name[start - 1] != '.') return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    if (Lower(name[start + i]) != suffix[i]) return false;
  }
  return true;
}

Classifier::Classifier() {
  const std::vector<ProviderSpec>& specs = Providers();
  const ProviderSpec& generic = specs.back();
  for (const ProviderSpec& spec : specs) {
    CompiledProvider provider;
    provider.id = spec.id;
    provider.mx = SplitNormalized(spec.mx, ' ');
    provider.domains = SplitNormalized(spec.domains, ' ');
    provider.markers = Needles(spec.markers);
    provider.helps.fill(Helps::kUnclear);
    std::array<bool, kReasonCount> set{};
    for (const std::vector<Rule>* rules : {&spec.rules, &generic.rules}) {
      for (const Rule& rule : *rules) {
        int r = static_cast<int>(rule.reason);
        if (!set[r]) provider.helps[r] = rule.helps;
        set[r] = true;
      }
    }
    for (int r = 0; r < kReasonCount; ++r) {
      if (!set[r]) provider.helps[r] = DefaultHelps(static_cast<Reason>(r));
    }
    for (const Rule& rule : spec.rules) {
      CompiledRule compiled{{}, Needles(rule.any), Needles(rule.all), rule.reason};
      for (const std::string& item : SplitNormalized(rule.codes, ',')) {
        std::size_t dash = item.find('-');
        StatusCode lo = ParseEnhanced(item.substr(0, dash));
        StatusCode hi = dash == std::string::npos ? lo : ParseEnhanced(item.substr(dash + 1));
        compiled.codes.push_back({lo.cls, lo.subject, lo.detail, hi.detail});
      }
      provider.rules.push_back(std::move(compiled));
    }
    providers_.push_back(std::move(provider));
  }
  for (const BlockList& list : BlockLists()) {
    std::string phrase;
    NormalizeReply(list.phrase, false, phrase);
    lists_.emplace_back(Needle(std::move(phrase)), list.name);
  }
}

ProviderId Classifier::ProviderFromHost(std::string_view host) const {
  for (std::size_t p = 0; p + 1 < providers_.size(); ++p) {
    for (const std::string& suffix : providers_[p].mx) {
      if (HasDomainSuffix(host, suffix)) return static_cast<ProviderId>(p);
    }
  }
  return Other();
}

ProviderId Classifier::ProviderFromDomain(std::string_view domain) const {
  for (std::size_t p = 0; p + 1 < providers_.size(); ++p) {
    for (const std::string& suffix : providers_[p].domains) {
      if (HasDomainSuffix(domain, suffix)) return static_cast<ProviderId>(p);
    }
  }
  return Other();
}

ProviderId Classifier::ProviderFromText(std::string_view normalized) const {
  for (std::size_t p = 0; p + 1 < providers_.size(); ++p) {
    if (ContainsAny(normalized, providers_[p].markers)) return static_cast<ProviderId>(p);
  }
  return Other();
}

bool Classifier::Matches(const CompiledRule& rule, std::string_view text, StatusCode code) {
  if (!rule.codes.empty()) {
    bool in_range = std::any_of(rule.codes.begin(), rule.codes.end(), [&](const CodeRange& r) {
      return code.cls == r.cls && code.subject == r.subject && code.detail >= r.lo &&
             code.detail <= r.hi;
    });
    if (!in_range) return false;
  }
  if (!rule.any.empty() && !ContainsAny(text, rule.any)) return false;
  for (const Needle& needle : rule.all) {
    if (!needle.In(text)) return false;
  }
  return true;
}

const Classifier::CompiledRule* Classifier::FindRule(const CompiledProvider& provider,
                                                     std::string_view text, StatusCode code) const {
  for (const CompiledRule& rule : provider.rules) {
    if (Matches(rule, text, code)) return &rule;
  }
  return nullptr;
}

Classification Classifier::Classify(std::string_view normalized, StatusCode code,
                                    ProviderId provider) const {
  Classification result;
  const CompiledRule* rule = FindRule(providers_[provider], normalized, code);
  if (rule == nullptr && provider != Other()) rule = FindRule(providers_.back(), normalized, code);
  result.reason = rule != nullptr ? rule->reason : Reason::kOther;
  result.helps = HelpsFor(provider, result.reason);
  if (!NamesList(result.reason)) return result;
  for (const auto& [phrase, name] : lists_) {
    if (phrase.In(normalized)) {
      result.list = name;
      break;
    }
  }
  return result;
}

Helps Classifier::HelpsFor(ProviderId provider, Reason reason) const {
  return providers_[provider].helps[static_cast<int>(reason)];
}

}  // namespace mtaroute
