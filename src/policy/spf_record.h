// The SPF TXT record of one "spf" entry, built from the model: its terms in order with where
// each came from, its value, its DNS character-strings and how many DNS lookups it costs; and
// the syntax of one SPF term (RFC 7208 section 12). Shared by lint (spf_check.cc) and the
// emitter (emit/spf.cc). Reports nothing and formats nothing for a target: callers do.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "util/net.h"

namespace mtaroute {

inline constexpr std::size_t kMaxCharacterString = 255;  // bytes in one TXT character-string
inline constexpr int kMaxSpfLookups = 10;                // RFC 7208 section 4.6.4
inline constexpr std::size_t kMaxSpfAnswerBytes = 450;   // name + record: one UDP answer

struct SpfTerm {
  enum class Source {
    kOrigin,     // a network of an origin
    kEgress,     // an egress network of a used relay
    kRelayHost,  // a used relay without egress: its IP-literal host, or a:HOST / mx:HOST
    kInclude,    // an "include" domain
    kMechanism,  // one of "mechanisms", as written
    kAll,        // the "all" key
  };
  std::string text;  // as written into the record: "ip4:192.0.2.5", "mx", "~all"
  Source source = Source::kMechanism;
  std::string pointer;             // JSON pointer of what the term was made from
  std::optional<Network> network;  // for ip4:/ip6: terms made from origins and relays
  const Relay* relay = nullptr;    // for kEgress and kRelayHost
};

struct SpfRecord {
  std::string name;  // the domain, A-label, without a trailing dot
  std::uint32_t ttl = 3600;
  std::vector<SpfTerm> terms;  // everything after "v=spf1"

  // "v=spf1 TERM TERM ...": the exact text a verifier reads.
  std::string Value() const;
  // The terms that make a DNS query (include a mx ptr exists redirect), this record only:
  // an included record's own lookups count against the same limit but are not known here.
  int Lookups() const;
};

// The record for `entry`: origins' networks, then the egress of every used relay (an
// IP-literal host when there is no egress, else a:HOST, or mx:HOST for "mx": true), as
// canonical ip4:/ip6: terms without duplicates or networks covered by another one, in first
// appearance order; then include: terms (each domain once), the mechanisms as written, and
// the "all" term.
SpfRecord BuildSpfRecord(const Policy& policy, const SpfEntry& entry);

// The record's value cut into DNS character-strings of at most `max_bytes` bytes whose
// concatenation, with nothing added, is the value: cut at max_bytes, or just before a UTF-8
// sequence that would straddle the cut. An empty value gives one empty string.
std::vector<std::string> SplitCharacterStrings(std::string_view value,
                                               std::size_t max_bytes = kMaxCharacterString);

// One SPF term parsed against RFC 7208's grammar.
struct SpfTermSyntax {
  char qualifier = 0;              // '+', '-', '~', '?', or 0 when none is written
  std::string name;                // lower case: "ip4", "include", "redirect", "exp", ...
  bool modifier = false;           // "name=value"
  std::string argument;            // the text after ':' or '=' (without CIDR lengths), may be empty
  std::optional<Network> network;  // ip4/ip6: the network matched (host bits cleared)
  bool host_bits = false;          // ip4/ip6 written with host bits set
  std::string error;               // what is wrong; "" when the term is valid
  std::string hint;                // how to fix it, may be empty
  bool QueriesDns() const;         // include a mx ptr exists redirect
};

// Checks a term as written in "mechanisms": a mechanism with its optional qualifier, or a
// redirect=/exp= modifier; domain-specs with well-formed macros; strict ip4/ip6 networks and
// CIDR lengths; printable ASCII without quotes, backslashes or spaces. "v=spf1" and "all" are
// errors whose hints say what to write instead.
SpfTermSyntax ParseSpfTerm(std::string_view term);

// Checks a domain-spec (RFC 7208 section 7.1): macro-string then a top label or a macro.
// Returns "" when valid, else what is wrong.
std::string CheckDomainSpec(std::string_view text);

}  // namespace mtaroute
