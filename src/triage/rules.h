// The knowledge triage works from, as data: which provider runs a mail host, what each
// provider's rejection texts mean, whether a relay with a clean IP fixes it, and which block
// lists a reply can name. Adding a provider is one entry in Providers(). No matching here.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace mtaroute {

// Why a delivery failed. The ids are stable: they appear in the JSON output.
enum class Reason : std::uint8_t {
  kIpReputation,
  kDomainReputation,
  kRate,
  kAuthentication,
  kReverseDns,
  kDynamicIp,
  kNetworkBlock,
  kIpBan,
  kIpBlock,
  kBlocklist,
  kBlocklistPbl,
  kPolicy,
  kContent,
  kAmbiguous,
  kRecipient,   // the address itself is wrong (5.1.x): no reputation problem
  kConnection,  // no SMTP reply at all: lost connection, timeout, connection refused
  kOther,
};
inline constexpr int kReasonCount = static_cast<int>(Reason::kOther) + 1;

// Whether sending through a relay with a clean IP fixes the failure.
enum class Helps : std::uint8_t { kYes, kNo, kPartly, kUnclear };

std::string_view ReasonId(Reason reason);
std::string_view HelpsName(Helps helps);
// One sentence for the report: what to do about a failure of this reason.
std::string_view ReasonAdvice(Reason reason);
// Whether a relay helps for a reason no rule of the provider or the generic ones names.
Helps DefaultHelps(Reason reason);

// One classification rule. Texts are matched after normalisation (see classify.h): lower
// case, '_' and whitespace runs as one space, reply codes between lines removed.
struct Rule {
  std::string_view codes;  // "" any; else enhanced codes and ranges: "4.7.28,5.7.606-5.7.649"
  std::string_view any;    // "" always; else phrases separated by '|': one must occur
  std::string_view all;    // "" nothing; else phrases separated by '|': each must occur
  Reason reason;
  Helps helps;
};

struct ProviderSpec {
  std::string_view id;       // "google"; the last entry is "other"
  std::string_view mx;       // MX host name suffixes (whole labels), separated by spaces
  std::string_view domains;  // recipient domains it serves (and their subdomains), spaces
  std::string_view markers;  // phrases naming it in a reply, '|'-separated (last resort)
  std::vector<Rule> rules;   // its own rules, tried before the generic ones of "other"
};

// The table. Entries are tried in order; the last one, "other", holds the generic rules
// that apply to every provider after its own.
const std::vector<ProviderSpec>& Providers();

// A block list a reply names: the first entry whose phrase occurs wins.
struct BlockList {
  std::string_view phrase;  // normalised like rule phrases
  std::string_view name;    // "Spamhaus PBL"
};
const std::vector<BlockList>& BlockLists();

}  // namespace mtaroute
