// SPF rules over the decoded policy: per entry, the record that gen spf would publish (built by
// spf_record.h) is checked, so lint and gen agree on every term.
#include "policy/spf_check.h"

#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "policy/spf_record.h"
#include "util/text.h"

namespace mtaroute {
namespace {

void CheckDomainAndAll(const Policy& policy, Diagnostics& diags) {
  std::map<std::string, const SpfEntry*> seen;
  for (const SpfEntry& entry : policy.spf) {
    if (!entry.domain.name.empty()) {
      auto [it, inserted] = seen.emplace(entry.domain.name, &entry);
      if (!inserted) {
        diags.Error("duplicate-spf-domain", entry.pointer + "/domain",
                    fmt::format("SPF domain {} already has a record at {}; two SPF records at "
                                "one name are a permanent error",
                                Quote(entry.domain.name), it->second->pointer),
                    "merge the two entries into one");
      }
    }
    if (entry.all == "+all" || entry.all == "all") {
      diags.Error("spf-plus-all", entry.pointer + "/all",
                  fmt::format("{} lets every host on the Internet send as {}", Quote(entry.all),
                              Quote(entry.domain.name)),
                  "use \"~all\" (soft fail) or \"-all\" (fail)");
    } else if (entry.all != "~all" && entry.all != "-all" && entry.all != "?all") {
      diags.Error("bad-spf-all", entry.pointer + "/all",
                  fmt::format("{} is not an SPF \"all\" term", Quote(entry.all)),
                  "use \"~all\", \"-all\" or \"?all\"");
    }
  }
}

// A used relay without "egress" is named by its host: the SPF records then trust whatever
// addresses that name resolves to, which need not be the ones the relay sends from.
void CheckRelaysWithoutEgress(const Policy& policy, Diagnostics& diags) {
  for (const Relay* relay : policy.UsedRelays()) {
    if (!relay->egress.empty() || relay->host.IsAddress() || relay->host.text.empty()) continue;
    std::string term = (relay->mx ? "mx:" : "a:") + relay->host.text;
    std::string meaning =
        relay->mx ? "the addresses of its MX hosts" : "the addresses it resolves to";
    diags.Warning("spf-relay-without-egress", relay->pointer + "/host",
                  fmt::format("relay {} has no \"egress\": the SPF records name it as {}, which "
                              "passes {}; mail it sends from other addresses fails SPF, and the "
                              "term costs a DNS lookup",
                              Quote(relay->name), Quote(term), meaning),
                  "list the addresses the relay sends mail from in \"egress\" (ask its operator)");
  }
}

std::string Describe(const SpfTerm& term) {
  switch (term.source) {
    case SpfTerm::Source::kOrigin:
      return "origin network";
    case SpfTerm::Source::kEgress:
      return fmt::format("egress of relay {}", Quote(term.relay->name));
    case SpfTerm::Source::kRelayHost:
      return fmt::format("host of relay {}", Quote(term.relay->name));
    default:
      return "SPF term";
  }
}

// Private, loopback, documentation and other special ranges never send mail on the Internet:
// in a public record they authorize nothing (or, for a private range, whoever uses it there).
void CheckSpecialAddress(const SpfTerm& term, const Network& network, std::set<std::string>& warned,
                         Diagnostics& diags) {
  std::string range = SpecialPurposeRange(network);
  if (range.empty() || !warned.insert(term.pointer).second) return;
  diags.Warning("spf-special-address", term.pointer,
                fmt::format("{} {} is {} address space, which never sends mail on the Internet: "
                            "as an SPF term it authorizes no real sender",
                            Describe(term), network.ToCompactString(), range),
                "list the public addresses the mail leaves from (behind NAT, the public address)");
}

// "%{d}" (the domain being checked) or the domain itself, any case, with a trailing dot or not.
bool IsOwnDomain(std::string_view domain_spec, const std::string& domain) {
  std::string lower;
  for (char c : domain_spec)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.ends_with('.')) lower.pop_back();
  return lower == "%{d}" || lower == domain;
}

void CheckMechanism(const SpfEntry& entry, const SpfTerm& term,
                    std::map<std::string, int>& modifiers, std::set<std::string>& warned,
                    Diagnostics& diags) {
  SpfTermSyntax syntax = ParseSpfTerm(term.text);
  if (!syntax.error.empty()) {
    diags.Error("bad-spf-mechanism", term.pointer,
                fmt::format("bad SPF term {}: {}", Quote(term.text), syntax.error), syntax.hint);
    return;
  }
  if (syntax.host_bits) {
    diags.Error("host-bits-set", term.pointer, fmt::format("host bits set in {}", Quote(term.text)),
                fmt::format("use {}",
                            Quote(fmt::format(
                                "{}{}:{}", syntax.qualifier ? std::string(1, syntax.qualifier) : "",
                                syntax.name, syntax.network->ToCompactString()))));
  }
  if (syntax.name == "ptr") {
    diags.Warning("spf-ptr", term.pointer,
                  "\"ptr\" is slow, unreliable and a burden on the reverse DNS; RFC 7208 says "
                  "it SHOULD NOT be used",
                  "list the sending addresses as ip4:/ip6: terms, or name their host with a:");
  }
  if (syntax.modifier && ++modifiers[syntax.name] == 2) {
    diags.Error(
        "spf-duplicate-modifier", term.pointer,
        fmt::format("a second {}= modifier: a record with two is a permanent error", syntax.name),
        "keep one of them");
  }
  if (syntax.modifier && syntax.name == "redirect") {
    diags.Error("spf-redirect-ignored", term.pointer,
                fmt::format("{} is ignored: the record ends in {}, and verifiers ignore "
                            "redirect= when an \"all\" term is present",
                            Quote(term.text), Quote(entry.all)),
                fmt::format("name {} in \"include\" instead", Quote(syntax.argument)));
  }
  if (syntax.name == "include" && IsOwnDomain(syntax.argument, entry.domain.name)) {
    diags.Error("spf-include-loop", term.pointer,
                fmt::format("{} includes the record itself: verifiers give a permanent error",
                            Quote(term.text)),
                "remove it");
  }
  bool passes = syntax.qualifier == 0 || syntax.qualifier == '+';
  if (syntax.network && syntax.network->prefix == 0 && passes) {
    diags.Error("spf-plus-all", term.pointer,
                fmt::format("{} lets every {} host send as {}, like \"+all\"", Quote(term.text),
                            syntax.name == "ip4" ? "IPv4" : "IPv6", Quote(entry.domain.name)),
                "list the networks that really send the mail");
  } else if (syntax.network) {
    CheckSpecialAddress(term, *syntax.network, warned, diags);
  }
}

void CheckLookups(const SpfEntry& entry, const SpfRecord& record, Diagnostics& diags) {
  int lookups = record.Lookups();
  if (lookups <= kMaxSpfLookups) return;
  std::map<std::string, int> by_name;
  for (const SpfTerm& term : record.terms) {
    SpfTermSyntax syntax = ParseSpfTerm(term.text);
    if (syntax.QueriesDns()) ++by_name[syntax.name];
  }
  std::vector<std::string> parts;
  for (const auto& [name, count] : by_name) parts.push_back(fmt::format("{} {}", name, count));
  diags.Error("spf-too-many-lookups", entry.pointer,
              fmt::format("the SPF record of {} makes {} DNS lookups ({}); verifiers stop at {} "
                          "with a permanent error, and the mail fails SPF",
                          Quote(record.name), lookups, fmt::join(parts, ", "), kMaxSpfLookups),
              "give relays \"egress\" and list addresses as ip4:/ip6: instead of a:/mx:/include:; "
              "each included record adds its own lookups to the same limit, which only a live "
              "check of the published record can count");
}

void CheckSize(const SpfEntry& entry, const SpfRecord& record, Diagnostics& diags) {
  if (record.name.empty()) return;
  std::size_t bytes = record.name.size() + record.Value().size();
  if (bytes <= kMaxSpfAnswerBytes) return;
  diags.Warning("spf-record-too-long", entry.pointer,
                fmt::format("the SPF record of {} is {} bytes with its name ({} + {}); over about "
                            "{} a DNS answer may not fit in one UDP packet, and some verifiers "
                            "then fail",
                            Quote(record.name), bytes, record.name.size(), record.Value().size(),
                            kMaxSpfAnswerBytes),
                "merge networks into larger prefixes, or move addresses into a record that "
                "this one includes");
}

// A mechanism that adds nothing: the same term earlier in the record (mtaroute already wrote
// it from the origins, a relay or "include", or it is repeated), or a passing ip4/ip6 network
// inside one listed before it. It costs bytes, and a repeated a/mx/include a DNS lookup.
void CheckRedundantMechanism(const SpfRecord& record, std::size_t index, Diagnostics& diags) {
  const SpfTerm& term = record.terms[index];
  SpfTermSyntax syntax = ParseSpfTerm(term.text);
  if (!syntax.error.empty() || syntax.modifier) return;
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text.starts_with("+") ? text.substr(1) : text;
  };
  const std::string text = lower(term.text);
  for (std::size_t i = 0; i < index; ++i) {
    const SpfTerm& earlier = record.terms[i];
    std::string why;
    if (lower(earlier.text) == text) {
      why = earlier.source == SpfTerm::Source::kMechanism ? "it is already listed"
                                                          : "mtaroute already writes it";
    } else if (syntax.network && (syntax.qualifier == 0 || syntax.qualifier == '+')) {
      SpfTermSyntax other = ParseSpfTerm(earlier.text);
      std::optional<Network> covering = earlier.network ? earlier.network : other.network;
      bool passes = other.qualifier == 0 || other.qualifier == '+';
      if (covering && passes && covering->Contains(*syntax.network)) {
        why = fmt::format("{} already covers it", Quote(earlier.text));
      }
    }
    if (why.empty()) continue;
    diags.Warning("spf-redundant-mechanism", term.pointer,
                  fmt::format("SPF term {} adds nothing: {}", Quote(term.text), why),
                  syntax.QueriesDns() ? "remove it: it also costs one of the 10 DNS lookups"
                                      : "remove it from \"mechanisms\"");
    return;
  }
}

void CheckEntry(const Policy& policy, const SpfEntry& entry, std::set<std::string>& warned,
                Diagnostics& diags) {
  SpfRecord record = BuildSpfRecord(policy, entry);
  std::map<std::string, int> modifiers;
  for (std::size_t i = 0; i < record.terms.size(); ++i) {
    const SpfTerm& term = record.terms[i];
    if (term.source == SpfTerm::Source::kMechanism) {
      CheckMechanism(entry, term, modifiers, warned, diags);
      CheckRedundantMechanism(record, i, diags);
    } else if (term.network) {
      CheckSpecialAddress(term, *term.network, warned, diags);
    } else if (term.source == SpfTerm::Source::kInclude &&
               term.text == "include:" + entry.domain.name) {
      diags.Error("spf-include-loop", term.pointer,
                  fmt::format("the SPF record of {} includes itself: verifiers give a permanent "
                              "error",
                              Quote(entry.domain.name)),
                  "remove it from \"include\"");
    }
  }
  CheckLookups(entry, record, diags);
  CheckSize(entry, record, diags);
}

}  // namespace

void CheckSpf(const Policy& policy, Diagnostics& diags) {
  CheckDomainAndAll(policy, diags);
  if (policy.spf.empty()) return;
  CheckRelaysWithoutEgress(policy, diags);
  std::set<std::string> warned;  // one special-address warning per place, whatever the records
  for (const SpfEntry& entry : policy.spf) CheckEntry(policy, entry, warned, diags);
}

}  // namespace mtaroute
