// Building the SPF record of an entry, splitting it into character-strings, and the term
// grammar of RFC 7208 section 12 (mechanisms, redirect/exp modifiers, macros, CIDR lengths).
#include "policy/spf_record.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

constexpr std::string_view kMechanisms[] = {"include", "a", "mx", "ptr", "ip4", "ip6", "exists"};
constexpr std::string_view kDnsTerms[] = {"include", "a", "mx", "ptr", "exists"};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

std::string NetworkTermText(const Network& network) {
  return (network.address.family == Family::kV4 ? "ip4:" : "ip6:") + network.ToCompactString();
}

SpfTerm TextTerm(std::string text, SpfTerm::Source source, std::string pointer) {
  return SpfTerm{std::move(text), source, std::move(pointer), std::nullopt, nullptr};
}

SpfTerm NetworkTerm(const Network& network, SpfTerm::Source source, std::string pointer,
                    const Relay* relay) {
  return SpfTerm{NetworkTermText(network), source, std::move(pointer), network, relay};
}

// The terms for the origins and the used relays, before duplicates are dropped.
std::vector<SpfTerm> SenderTerms(const Policy& policy) {
  std::vector<SpfTerm> terms;
  for (const Origin& origin : policy.origins) {
    for (const NetworkEntry& entry : origin.networks) {
      terms.push_back(NetworkTerm(entry.network, SpfTerm::Source::kOrigin, entry.pointer, nullptr));
    }
  }
  for (const Relay* relay : policy.UsedRelays()) {
    for (const NetworkEntry& entry : relay->egress) {
      terms.push_back(NetworkTerm(entry.network, SpfTerm::Source::kEgress, entry.pointer, relay));
    }
    if (!relay->egress.empty()) continue;
    std::string pointer = relay->pointer + "/host";
    std::optional<IpAddress> address =
        relay->host.IsAddress() ? ParseIpAddress(relay->host.text) : std::nullopt;
    if (address) {
      terms.push_back(NetworkTerm(Network{*address, address->Bits()}, SpfTerm::Source::kRelayHost,
                                  pointer, relay));
    } else if (!relay->host.text.empty()) {
      std::string text = (relay->mx ? "mx:" : "a:") + relay->host.text;
      SpfTerm term = TextTerm(text, SpfTerm::Source::kRelayHost, pointer);
      term.relay = relay;
      terms.push_back(std::move(term));
    }
  }
  return terms;
}

}  // namespace

std::string SpfRecord::Value() const {
  std::string value = "v=spf1";
  for (const SpfTerm& term : terms) value += " " + term.text;
  return value;
}

int SpfRecord::Lookups() const {
  return static_cast<int>(std::count_if(terms.begin(), terms.end(), [](const SpfTerm& term) {
    return ParseSpfTerm(term.text).QueriesDns();
  }));
}

SpfRecord BuildSpfRecord(const Policy& policy, const SpfEntry& entry) {
  SpfRecord record;
  record.name = entry.domain.name;
  record.ttl = entry.ttl;
  std::vector<SpfTerm> senders = SenderTerms(policy);
  std::vector<Network> networks;
  for (const SpfTerm& term : senders) {
    if (term.network) networks.push_back(*term.network);
  }
  std::vector<Network> kept_list = RemoveCoveredNetworks(networks);
  std::set<Network> kept(kept_list.begin(), kept_list.end());
  std::set<std::string> written;
  for (SpfTerm& term : senders) {
    if (term.network && !kept.contains(*term.network)) continue;
    if (written.insert(term.text).second) record.terms.push_back(std::move(term));
  }
  for (const Domain& include : entry.include) {
    std::string text = "include:" + include.name;
    if (!written.insert(text).second) continue;
    record.terms.push_back(TextTerm(text, SpfTerm::Source::kInclude, include.pointer));
  }
  for (std::size_t i = 0; i < entry.mechanisms.size(); ++i) {
    std::string pointer = i < entry.mechanism_pointers.size()
                              ? entry.mechanism_pointers[i]
                              : fmt::format("{}/mechanisms/{}", entry.pointer, i);
    record.terms.push_back(TextTerm(entry.mechanisms[i], SpfTerm::Source::kMechanism, pointer));
  }
  record.terms.push_back(TextTerm(entry.all, SpfTerm::Source::kAll, entry.pointer + "/all"));
  return record;
}

std::vector<std::string> SplitCharacterStrings(std::string_view value, std::size_t max_bytes) {
  std::vector<std::string> strings;
  max_bytes = std::max<std::size_t>(max_bytes, 4);  // room for any UTF-8 sequence
  std::size_t pos = 0;
  do {
    std::size_t end = std::min(pos + max_bytes, value.size());
    if (end < value.size()) {
      std::size_t cut = end;  // back up to the lead byte of a sequence that straddles the cut
      while (cut > pos && (static_cast<unsigned char>(value[cut]) & 0xc0) == 0x80) --cut;
      if (cut > pos) end = cut;
    }
    strings.emplace_back(value.substr(pos, end - pos));
    pos = end;
  } while (pos < value.size());
  return strings;
}

bool SpfTermSyntax::QueriesDns() const {
  if (modifier) return name == "redirect";
  return std::find(std::begin(kDnsTerms), std::end(kDnsTerms), name) != std::end(kDnsTerms);
}

namespace {

// "%{" macro-letter transformers *delimiter "}" starting at text[i] == '%'; returns the
// length of the macro, or 0 with `error` set.
std::size_t MacroLength(std::string_view text, std::size_t i, std::string& error) {
  std::size_t close = text.find('}', i);
  if (close == std::string_view::npos) {
    error = fmt::format("macro {} is not closed by \"}}\"", Quote(text.substr(i, 12)));
    return 0;
  }
  std::string_view body = text.substr(i + 2, close - i - 2);
  std::string shown = Quote(text.substr(i, close - i + 1));
  if (body.empty() ||
      std::string_view("slodiphvSLODIPHV").find(body[0]) == std::string_view::npos) {
    error = fmt::format(
        "macro {} needs one of the letters s l o d i p h v (c r t are for "
        "explanation texts only)",
        shown);
    return 0;
  }
  std::size_t k = 1;
  int labels = -1;  // the DIGIT transformer: how many right-hand labels to keep
  for (; k < body.size() && IsDigit(body[k]); ++k) {
    labels = std::min(std::max(labels, 0) * 10 + (body[k] - '0'), 1000);
  }
  if (labels == 0 || labels > 128) {
    error = fmt::format("macro {} keeps {} labels; write 1 to 128", shown, labels);
    return 0;
  }
  if (k < body.size() && (body[k] == 'r' || body[k] == 'R')) ++k;
  for (; k < body.size(); ++k) {
    if (std::string_view(".-+,/_=").find(body[k]) == std::string_view::npos) {
      error = fmt::format(
          "macro {}: {} is not a transformer (digits, then \"r\") or a "
          "delimiter (. - + , / _ =)",
          shown, Quote(body.substr(k, 1)));
      return 0;
    }
  }
  return close - i + 1;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool IsTopLabel(std::string_view label) {
  if (label.empty()) return false;
  bool alpha = false;
  bool hyphen = false;
  for (char c : label) {
    if (c == '-') {
      hyphen = true;
    } else if (!IsAlnum(c)) {
      return false;
    }
    alpha = alpha || IsAlpha(c);
  }
  if (hyphen) return IsAlnum(label.front()) && IsAlnum(label.back());
  return alpha;
}

// Checks the labels of a domain-spec that has no macro: no empty label, 63 and 253 bytes.
std::string CheckLiteralDomain(std::string_view text) {
  std::string_view name = text.ends_with('.') ? text.substr(0, text.size() - 1) : text;
  if (name.size() > 253) return fmt::format("domain is {} bytes long; at most 253", name.size());
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = std::min(name.find('.', start), name.size());
    if (dot == start) return fmt::format("empty label in {}", Quote(text));
    if (dot - start > 63) return fmt::format("a label of {} is longer than 63 bytes", Quote(text));
    start = dot + 1;
  }
  return {};
}

}  // namespace

std::string CheckDomainSpec(std::string_view text) {
  if (text.empty()) return "the domain is missing";
  bool ends_in_macro = false;
  bool has_macro = false;
  std::size_t literal_start = 0;  // start of the literal text after the last macro
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c != '%') {
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        return fmt::format("byte {} is not printable ASCII", i + 1);
      }
      ends_in_macro = false;
      ++i;
      continue;
    }
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    std::size_t length = 2;
    if (next == '{') {
      std::string error;
      length = MacroLength(text, i, error);
      if (length == 0) return error;
    } else if (next != '%' && next != '_' && next != '-') {
      return fmt::format("\"%\" at byte {} starts no macro; write \"%%\" for a literal \"%\"",
                         i + 1);
    }
    i += length;
    literal_start = i;
    ends_in_macro = has_macro = true;
  }
  if (ends_in_macro) return {};
  std::string_view tail = text.substr(literal_start);
  std::string_view name = tail.ends_with('.') ? tail.substr(0, tail.size() - 1) : tail;
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || !IsTopLabel(name.substr(dot + 1))) {
    return fmt::format("{} does not end in a top-level label like \".example\" or in a macro",
                       Quote(text));
  }
  if (text.find("..") != std::string_view::npos)
    return fmt::format("empty label in {}", Quote(text));
  return has_macro ? std::string() : CheckLiteralDomain(text);
}

namespace {

// A CIDR length after "/": "0" or no leading zero, at most `bits`.
bool ParseCidrLength(std::string_view text, int bits, int& value) {
  if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), IsDigit))
    return false;
  if (text.size() > 1 && text[0] == '0') return false;
  value = std::stoi(std::string(text));
  return value <= bits;
}

// dual-cidr-length = [ "/" ip4-cidr-length ] [ "//" ip6-cidr-length ]
std::string CheckDualCidr(std::string_view text) {
  if (text.empty()) return {};
  std::size_t v6 = text.find("//");
  std::string_view v4_part = text.substr(0, v6);
  std::string_view v6_part = v6 == std::string_view::npos ? "" : text.substr(v6 + 2);
  int value = 0;
  if (!v4_part.empty() && (v4_part[0] != '/' || !ParseCidrLength(v4_part.substr(1), 32, value))) {
    return fmt::format("bad IPv4 CIDR length {}: write /0 to /32", Quote(v4_part));
  }
  if (v6 != std::string_view::npos && !ParseCidrLength(v6_part, 128, value)) {
    return fmt::format("bad IPv6 CIDR length {}: write //0 to //128", Quote(text.substr(v6)));
  }
  return {};
}

// Where the CIDR lengths of a:/mx: start: the first "/" outside a %{...} macro.
std::size_t CidrStart(std::string_view text) {
  bool in_macro = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 1 < text.size() && text[i + 1] == '{') in_macro = true;
    if (text[i] == '}') in_macro = false;
    if (text[i] == '/' && !in_macro) return i;
  }
  return std::string_view::npos;
}

void ParseIpTerm(std::string_view argument, SpfTermSyntax& syntax) {
  bool v4 = syntax.name == "ip4";
  if (argument.find('%') != std::string_view::npos) {
    syntax.error = fmt::format("{} takes an address, not a macro", syntax.name);
    return;
  }
  std::size_t slash = argument.find('/');
  std::string_view address_text = argument.substr(0, slash);
  std::optional<IpAddress> address = ParseIpAddress(address_text);
  if (!address) {
    syntax.error =
        fmt::format("{} is not an {} address", Quote(address_text), v4 ? "IPv4" : "IPv6");
    if (address_text.find('.') != std::string_view::npos && v4) {
      syntax.hint = "write four decimal numbers 0-255 without leading zeros, like 192.0.2.10";
    }
    return;
  }
  if ((address->family == Family::kV4) != v4) {
    syntax.error = fmt::format("{} is an {} address", Quote(address_text), v4 ? "IPv6" : "IPv4");
    syntax.hint = fmt::format("write {}:{}", v4 ? "ip6" : "ip4", argument);
    return;
  }
  int prefix = address->Bits();
  if (slash != std::string_view::npos &&
      !ParseCidrLength(argument.substr(slash + 1), address->Bits(), prefix)) {
    syntax.error = fmt::format("bad prefix length {}: write /0 to /{}",
                               Quote(argument.substr(slash)), address->Bits());
    return;
  }
  NetworkParseResult parsed = ParseNetwork(fmt::format("{}/{}", address->ToString(), prefix));
  if (!parsed.network) {  // host bits set: the network they match, and the canonical spelling
    IpAddress masked = *address;
    for (int bit = prefix; bit < address->Bits(); ++bit) {
      masked.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    }
    parsed.network = Network{masked, prefix};
    syntax.host_bits = true;
  }
  syntax.network = parsed.network;
}

void ParseModifier(std::string_view argument, SpfTermSyntax& syntax) {
  syntax.modifier = true;
  syntax.argument = std::string(argument);
  if (syntax.qualifier != 0) {
    syntax.error = "a modifier takes no qualifier";
    syntax.hint = fmt::format("write {}={}", syntax.name, argument);
    return;
  }
  if (syntax.name == "redirect" || syntax.name == "exp") {
    std::string error = CheckDomainSpec(argument);
    if (!error.empty()) syntax.error = fmt::format("{}= needs a domain: {}", syntax.name, error);
    return;
  }
  syntax.error = fmt::format("unknown modifier {}", Quote(syntax.name + "="));
  std::string suggestion = Suggest(syntax.name, {"redirect", "exp"});
  syntax.hint = suggestion.empty()
                    ? "verifiers ignore unknown modifiers; mtaroute accepts redirect= and exp="
                    : fmt::format("did you mean {}?", Quote(suggestion + "="));
}

void ParseMechanism(std::string_view rest, SpfTermSyntax& syntax) {
  const std::string& name = syntax.name;
  bool has_domain = !rest.empty() && rest[0] == ':';
  std::string_view domain_and_cidr = has_domain ? rest.substr(1) : rest;
  if (name == "ip4" || name == "ip6") {
    if (!has_domain) {
      syntax.error = fmt::format("{} needs an address: {}:ADDRESS[/PREFIX]", name, name);
      return;
    }
    syntax.argument = std::string(domain_and_cidr);
    ParseIpTerm(domain_and_cidr, syntax);
    return;
  }
  bool cidr_allowed = name == "a" || name == "mx";
  std::size_t cidr = cidr_allowed ? CidrStart(domain_and_cidr) : std::string_view::npos;
  std::string_view domain = has_domain ? domain_and_cidr.substr(0, cidr) : "";
  syntax.argument = std::string(domain);
  if (!cidr_allowed &&
      ((!has_domain && !rest.empty()) || CidrStart(domain) != std::string_view::npos)) {
    syntax.error = fmt::format("{} takes \":DOMAIN\" and no CIDR length", name);
  } else if (!has_domain && (name == "include" || name == "exists")) {
    syntax.error = fmt::format("{} needs a domain: {}:DOMAIN", name, name);
  } else if (std::string error = has_domain ? CheckDomainSpec(domain) : ""; !error.empty()) {
    syntax.error = error;
  } else if (cidr_allowed) {
    syntax.error =
        CheckDualCidr(cidr == std::string_view::npos ? "" : domain_and_cidr.substr(cidr));
  }
}

// Control characters, spaces, quotes, backslashes and non-ASCII bytes, or "".
std::string FindBadCharacter(std::string_view term, std::string& hint) {
  for (std::size_t i = 0; i < term.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(term[i]);
    if (c == ' ') {
      hint = "give each term as its own element of \"mechanisms\"";
      return fmt::format("a space at byte {}", i + 1);
    }
    if (c < 0x20 || c == 0x7f) return fmt::format("a control character at byte {}", i + 1);
    if (c >= 0x80) {
      hint = "write domain names as A-labels (xn--...)";
      return fmt::format("a non-ASCII character at byte {}", i + 1);
    }
    if (c == '"' || c == '\\') {
      hint = "an SPF term never needs quotes or backslashes; mtaroute quotes the record itself";
      return fmt::format("{} at byte {}", c == '"' ? "a quote" : "a backslash", i + 1);
    }
  }
  return {};
}

}  // namespace

SpfTermSyntax ParseSpfTerm(std::string_view term) {
  SpfTermSyntax syntax;
  if (term.empty()) {
    syntax.error = "the term is empty";
    return syntax;
  }
  if (std::string bad = FindBadCharacter(term, syntax.hint); !bad.empty()) {
    syntax.error = "it contains " + bad;
    return syntax;
  }
  std::string lower = Lower(term);
  if (lower == "v=spf1" || lower.starts_with("v=spf")) {
    syntax.error = "mtaroute writes \"v=spf1\" at the start of the record itself";
    syntax.hint = "remove it from \"mechanisms\"";
    return syntax;
  }
  std::size_t start = std::string_view("+-~?").find(term[0]) != std::string_view::npos ? 1 : 0;
  if (start == 1) syntax.qualifier = term[0];
  std::size_t end = std::min(lower.find_first_of(":/=", start), lower.size());
  syntax.name = lower.substr(start, end - start);
  std::string_view rest = term.substr(end);
  if (!rest.empty() && rest[0] == '=') {
    ParseModifier(rest.substr(1), syntax);
  } else if (syntax.name == "all") {
    syntax.error = "\"all\" is written from the \"all\" key, always last";
    syntax.hint = "remove it from \"mechanisms\" and set \"all\" to \"~all\", \"-all\" or \"?all\"";
  } else if (std::find(std::begin(kMechanisms), std::end(kMechanisms), syntax.name) ==
             std::end(kMechanisms)) {
    syntax.error = syntax.name.empty() ? "it names no mechanism"
                                       : fmt::format("unknown mechanism {}", Quote(syntax.name));
    std::vector<std::string> names(std::begin(kMechanisms), std::end(kMechanisms));
    std::string suggestion = Suggest(syntax.name, names);
    syntax.hint = suggestion.empty()
                      ? "mechanisms: include a mx ptr ip4 ip6 exists; modifiers: redirect= exp="
                      : fmt::format("did you mean {}?", Quote(suggestion));
  } else {
    ParseMechanism(rest, syntax);
  }
  return syntax;
}

}  // namespace mtaroute
