// Matching SMTP replies against the rule table (rules.h): normalising reply texts, finding
// the provider of a delivery, the reason, whether a relay helps and the block list named.
// Per-message tokens in a reply never reach a result: only the rule that matched does.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "triage/rules.h"

namespace mtaroute {

// Lower case (ASCII); '_', whitespace, a literal "\n" (Exim) and runs of them become one
// space; with strip_codes, the reply's own code where it starts a line ("550-5.7.1 ",
// "550 5.7.1 ") is dropped, so phrases split over reply lines still match.
void NormalizeReply(std::string_view reply, bool strip_codes, std::string& out);

// An enhanced status code "5.7.606" as numbers; cls == 0 when there is none.
struct StatusCode {
  int cls = 0;
  int subject = 0;
  int detail = 0;
};
// The enhanced code after the reply code at the start ("550-5.7.1 ..." -> 5.7.1), else
// parsed from fallback (Postfix's dsn=), else none.
StatusCode ExtractStatusCode(std::string_view reply, std::string_view fallback = {});

// A phrase to find, with its Horspool skip table built once: searching a short reply costs no
// set-up (glibc's memmem builds a table on every call).
class Needle {
 public:
  explicit Needle(std::string text);
  bool In(std::string_view haystack) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::array<std::uint8_t, 256> skip_{};
};

using ProviderId = std::uint8_t;

struct Classification {
  Reason reason = Reason::kOther;
  Helps helps = Helps::kUnclear;
  std::string_view list;  // block list named, "" when none
};

class Classifier {
 public:
  Classifier();

  std::size_t provider_count() const { return providers_.size(); }
  std::string_view ProviderName(ProviderId id) const { return providers_[id].id; }
  ProviderId Other() const { return static_cast<ProviderId>(providers_.size() - 1); }
  // By MX host name suffix (whole labels, case-insensitive); Other() when unknown.
  ProviderId ProviderFromHost(std::string_view host) const;
  // By recipient domain (or a subdomain of one); Other() when unknown.
  ProviderId ProviderFromDomain(std::string_view domain) const;
  // By phrases in a normalised reply ("gsmtp"); Other() when none.
  ProviderId ProviderFromText(std::string_view normalized) const;

  // Classifies a normalised reply of a provider; code is its enhanced status code.
  Classification Classify(std::string_view normalized, StatusCode code, ProviderId provider) const;
  // Whether a relay helps for this provider and reason: defined by the provider's own rule
  // for the reason, else the generic one, so one group never mixes two answers.
  Helps HelpsFor(ProviderId provider, Reason reason) const;

 private:
  struct CodeRange {
    int cls, subject, lo, hi;
  };
  struct CompiledRule {
    std::vector<CodeRange> codes;
    std::vector<Needle> any;
    std::vector<Needle> all;
    Reason reason;
  };
  struct CompiledProvider {
    std::string_view id;
    std::vector<std::string> mx;
    std::vector<std::string> domains;
    std::vector<Needle> markers;
    std::vector<CompiledRule> rules;
    std::array<Helps, kReasonCount> helps;
  };

  static bool Matches(const CompiledRule& rule, std::string_view text, StatusCode code);
  const CompiledRule* FindRule(const CompiledProvider& provider, std::string_view text,
                               StatusCode code) const;

  std::vector<CompiledProvider> providers_;
  std::vector<std::pair<Needle, std::string_view>> lists_;
};

// True when name is suffix or ends with "." + suffix (ASCII case-insensitive).
bool HasDomainSuffix(std::string_view name, std::string_view suffix);

}  // namespace mtaroute
