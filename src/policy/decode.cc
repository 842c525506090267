// Decoding of each section of the policy into the model, in canonical form.
#include "policy/decode.h"

#include <algorithm>
#include <deque>
#include <regex>

#include <fmt/format.h>

#include "policy/decode_reader.h"
#include "util/domain.h"
#include "util/net.h"
#include "util/text.h"

namespace mtaroute {
namespace {

const std::vector<std::string> kTopKeys = {"version", "relays", "routes", "default", "origins",
                                           "spf", "mtas"};
const std::vector<std::string> kRelayKeys = {"host", "port", "mx", "tls", "auth", "egress"};
const std::vector<std::string> kAuthKeys = {"username", "password_file", "password_env"};
const std::vector<std::string> kRouteKeys = {"domains", "subdomains", "relay", "note"};
const std::vector<std::string> kOriginKeys = {"name", "networks"};
const std::vector<std::string> kSpfKeys = {"domain", "include", "mechanisms", "all", "ttl"};

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxNoteBytes = 500;

class Decoder {
 public:
  Decoder(Diagnostics& diags) : in_(diags), diags_(diags) {}

  Policy Decode(PolicyDocument& document, std::string file);

 private:
  void DecodeRelays(const Json& value, Policy& policy);
  void DecodeRelay(const std::string& name, const Json& value, const std::string& pointer,
                   Policy& policy);
  void DecodeHost(const Json& value, const std::string& pointer, const std::string& what,
                  Relay& relay);
  void DecodeAuth(const Json& value, const std::string& pointer, const std::string& what,
                  Relay& relay);
  void DecodeRoutes(const Json& value, Policy& policy);
  void DecodeOrigins(const Json& value, Policy& policy);
  void DecodeSpf(const Json& value, Policy& policy);
  void DecodeMtas(const Json& value, Policy& policy);
  std::optional<Domain> DecodeDomain(const std::string& text, const std::string& pointer,
                                     std::string_view what);
  std::vector<NetworkEntry> DecodeNetworks(const Json& value, const std::string& pointer,
                                           std::string_view what);
  std::vector<Domain> DecodeDomains(const Json& value, const std::string& pointer,
                                    std::string_view what);
  DomainList DecodeRouteDomains(DomainArray& array, const std::string& pointer);

  Reader in_;
  std::deque<DomainArray>* domain_arrays_ = nullptr;
  Diagnostics& diags_;
};

Policy Decoder::Decode(PolicyDocument& parsed, std::string file) {
  const Json& document = parsed.root;
  domain_arrays_ = &parsed.domain_arrays;
  Policy policy;
  policy.file = std::move(file);
  policy.names = parsed.names;
  if (!in_.CheckObject(document, "", "the policy", kTopKeys, {"version"}, true)) return policy;
  if (auto it = document.find("version"); it != document.end()) {
    if (it->is_number_integer() && *it == 1) {
      policy.version = 1;
    } else {
      diags_.Error("bad-version", "/version",
                   fmt::format("unsupported policy version {}; this mtaroute reads version 1",
                               it->dump()),
                   "write \"version\": 1");
    }
  }
  if (auto it = document.find("relays"); it != document.end()) DecodeRelays(*it, policy);
  if (auto it = document.find("routes"); it != document.end()) DecodeRoutes(*it, policy);
  if (auto it = document.find("default"); it != document.end()) {
    policy.default_pointer = "/default";
    if (const std::string* text = in_.String(*it, "/default", "\"default\"")) {
      policy.default_route = *text;
    }
  }
  if (auto it = document.find("origins"); it != document.end()) DecodeOrigins(*it, policy);
  if (auto it = document.find("spf"); it != document.end()) DecodeSpf(*it, policy);
  if (auto it = document.find("mtas"); it != document.end()) DecodeMtas(*it, policy);
  policy.repeated_domains = FindRepeatedDomains(policy);
  return policy;
}

// "mtas": the MTAs the policy is for. Without qmail, lint does not warn about what qmail
// cannot do (a Postfix-only policy with relay auth lints clean, also with --strict).
void Decoder::DecodeMtas(const Json& value, Policy& policy) {
  std::vector<std::string> pointers;
  std::vector<std::string> names = in_.StringArray(value, "/mtas", "\"mtas\"", &pointers);
  if (value.is_array() && value.empty()) {
    diags_.Error("bad-mtas", "/mtas", "\"mtas\" is empty", "list \"postfix\", \"qmail\" or both");
  }
  if (!value.is_array() || value.empty()) return;  // reported; keep the qmail warnings
  policy.for_qmail = false;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "qmail") {
      policy.for_qmail = true;
    } else if (names[i] != "postfix") {
      diags_.Error("bad-mtas", pointers[i],
                   fmt::format("unknown MTA {} in \"mtas\"", Quote(names[i])),
                   "list \"postfix\", \"qmail\" or both");
    }
  }
}

void Decoder::DecodeRelays(const Json& value, Policy& policy) {
  if (!value.is_object()) {
    in_.CheckObject(value, "/relays", "\"relays\"", {}, {});
    return;
  }
  static const std::regex kName("[a-z0-9][a-z0-9_-]*");
  for (const auto& [name, relay] : value.items()) {  // nlohmann keeps keys sorted
    std::string pointer = Reader::Member("/relays", name);
    if (name == kDirect) {
      diags_
          .Error("reserved-relay-name", pointer,
                 "\"direct\" is reserved for normal MX delivery and cannot name a relay",
                 "choose another name, e.g. \"direct-relay\"")
          .at_key = true;
      continue;
    }
    if (name.size() > kMaxNameBytes || !std::regex_match(name, kName)) {
      diags_
          .Error("bad-relay-name", pointer,
                 fmt::format("relay name {} must match [a-z0-9][a-z0-9_-]* (at most {} bytes)",
                             Quote(name), kMaxNameBytes),
                 "use lower-case letters, digits, '-' and '_', e.g. \"clean-relay\"")
          .at_key = true;
      continue;
    }
    DecodeRelay(name, relay, pointer, policy);
  }
}

void Decoder::DecodeRelay(const std::string& name, const Json& value, const std::string& pointer,
                          Policy& policy) {
  std::string what = fmt::format("relay {}", Quote(name));
  if (!in_.CheckObject(value, pointer, what, kRelayKeys, {"host"})) return;
  Relay relay;
  relay.name = name;
  relay.pointer = pointer;
  if (auto it = value.find("host"); it != value.end()) {
    DecodeHost(*it, pointer + "/host", what, relay);
  }
  if (auto it = value.find("port"); it != value.end()) {
    auto port = in_.Integer(*it, pointer + "/port", fmt::format("the port of {}", what), 1, 65535);
    if (port) relay.port = static_cast<int>(*port);
  }
  if (auto it = value.find("mx"); it != value.end()) {
    relay.mx = in_.Bool(*it, pointer + "/mx", fmt::format("\"mx\" of {}", what)).value_or(false);
  }
  if (auto it = value.find("tls"); it != value.end()) {
    if (const std::string* text = in_.String(*it, pointer + "/tls", "\"tls\"")) {
      relay.tls = ParseTlsLevel(*text);
      if (!relay.tls) {
        diags_.Error("bad-tls", pointer + "/tls",
                     fmt::format("unknown TLS level {} for {}", Quote(*text), what),
                     "use one of none, may, encrypt, dane, verify, secure");
      }
    }
  }
  if (auto it = value.find("auth"); it != value.end()) {
    DecodeAuth(*it, pointer + "/auth", what, relay);
  }
  if (auto it = value.find("egress"); it != value.end()) {
    relay.egress = DecodeNetworks(*it, pointer + "/egress", fmt::format("egress of {}", what));
  }
  // Kept even when its host failed, so that routes naming it are not reported again.
  policy.relays.push_back(std::move(relay));
}

void Decoder::DecodeHost(const Json& value, const std::string& pointer, const std::string& what,
                         Relay& relay) {
  const std::string* text = in_.String(value, pointer, fmt::format("the host of {}", what));
  if (!text) return;
  if (auto address = ParseIpAddress(*text)) {
    relay.host.kind = address->family == Family::kV4 ? Host::Kind::kIpv4 : Host::Kind::kIpv6;
    relay.host.text = address->ToString();
    return;
  }
  if (text->size() > 2 && text->front() == '[' && text->back() == ']' &&
      ParseIpAddress(std::string_view(*text).substr(1, text->size() - 2))) {
    diags_.Error("bad-host", pointer,
                 fmt::format("host {} of {} is written with brackets", Quote(*text), what),
                 fmt::format("write the address alone, {}; mtaroute adds the brackets each "
                             "target needs",
                             Quote(text->substr(1, text->size() - 2))));
    return;
  }
  if (!in_.SafeName(*text, pointer, fmt::format("the host of {}", what))) return;
  if (!text->empty() && text->find_first_not_of("0123456789.") == std::string::npos) {
    diags_.Error("bad-host", pointer,
                 fmt::format("host {} of {} is not a valid IPv4 address", Quote(*text), what),
                 "write four decimal numbers from 0 to 255 without leading zeros");
    return;
  }
  NameResult name = NormalizeHostName(*text);
  if (!name.ok()) {
    diags_.Error("bad-host", pointer, fmt::format("bad host of {}: {}", what, name.error),
                 name.hint);
    return;
  }
  relay.host.kind = Host::Kind::kName;
  relay.host.text = std::move(name.name);
}

void Decoder::DecodeAuth(const Json& value, const std::string& pointer, const std::string& what,
                         Relay& relay) {
  if (value.is_object() && value.contains("password")) {
    diags_
        .Error("inline-secret", pointer + "/password",
               fmt::format("{} has its password written in the policy; a policy is reviewed and "
                           "committed, a password must not be",
                           what),
               "remove it, rotate the password, and name a file with \"password_file\" (mode "
               "0600) or an environment variable with \"password_env\"")
        .at_key = true;
  }
  std::vector<std::string> known = kAuthKeys;
  known.push_back("password");  // reported above as inline-secret, not as unknown
  std::string auth_what = fmt::format("the auth of {}", what);
  if (!in_.CheckObject(value, pointer, auth_what, known, {"username"})) return;
  RelayAuth auth;
  auth.pointer = pointer;
  if (auto it = value.find("username"); it != value.end()) {
    if (const std::string* user = in_.String(*it, pointer + "/username", "\"username\"")) {
      // '@' is allowed: relay accounts are often mail addresses. ':' would split the
      // user:password value of sasl_passwd.
      if (user->empty()) {
        diags_.Error("bad-username", pointer + "/username", "the user name is empty");
      } else if (in_.SafeName(*user, pointer + "/username", "user name", "@")) {
        auth.username = *user;
      }
    }
  }
  bool has_file = value.contains("password_file");
  bool has_env = value.contains("password_env");
  if (has_file == has_env) {
    diags_.Error("auth-secret-source", pointer,
                 fmt::format("{} needs exactly one of \"password_file\" and \"password_env\"",
                             auth_what));
  }
  if (has_file) {
    if (const std::string* file =
            in_.String(value["password_file"], pointer + "/password_file", "\"password_file\"")) {
      if (file->empty() || file->find('\0') != std::string::npos ||
          FindUnsafeCharacter(*file, "#:[]@\"\\,=").size() > 0) {
        diags_.Error("bad-password-file", pointer + "/password_file",
                     fmt::format("password_file {} is not a usable path", Quote(*file)));
      } else {
        auth.password_file = *file;
      }
    }
  }
  if (has_env) {
    static const std::regex kEnv("[A-Za-z_][A-Za-z0-9_]*");
    if (const std::string* env =
            in_.String(value["password_env"], pointer + "/password_env", "\"password_env\"")) {
      if (!std::regex_match(*env, kEnv)) {
        diags_.Error("bad-password-env", pointer + "/password_env",
                     fmt::format("password_env {} is not an environment variable name",
                                 Quote(*env)),
                     "use letters, digits and '_', e.g. \"RELAY_PASS\"");
      } else {
        auth.password_env = *env;
      }
    }
  }
  relay.auth = std::move(auth);
}

std::optional<Domain> Decoder::DecodeDomain(const std::string& text, const std::string& pointer,
                                            std::string_view what) {
  if (!in_.SafeName(text, pointer, what)) return std::nullopt;
  if (text.find('*') != std::string::npos && !pointer.starts_with("/routes/")) {
    diags_.Error("wildcard-domain", pointer,
                 fmt::format("{} {} is a wildcard; SPF names one exact domain", what,
                             Quote(text)),
                 pointer.find("/include/") != std::string::npos
                     ? "name the one domain whose SPF record is included"
                     : "write the domain itself; give each subdomain that sends mail its own "
                       "\"spf\" entry");
    return std::nullopt;
  }
  if (text.find('*') != std::string::npos) {
    std::string rest = text.rfind("*.", 0) == 0 ? text.substr(2) : "";
    bool simple = !rest.empty() && rest.find('*') == std::string::npos;
    diags_.Error("wildcard-domain", pointer,
                 fmt::format("{} {} is a wildcard; routes take domains", what, Quote(text)),
                 simple ? fmt::format("write {} and set \"subdomains\": true to route its "
                                      "subdomains too",
                                      Quote(rest))
                        : "name the domain itself and set \"subdomains\": true to route the "
                          "domains below it");
    return std::nullopt;
  }
  NameResult name = NormalizeDomain(text);
  if (!name.ok()) {
    diags_.Error("bad-domain", pointer, fmt::format("bad {}: {}", what, name.error), name.hint);
    return std::nullopt;
  }
  return Domain{std::move(name.name), pointer};
}

std::vector<Domain> Decoder::DecodeDomains(const Json& value, const std::string& pointer,
                                           std::string_view what) {
  std::vector<std::string> pointers;
  std::vector<std::string> texts = in_.StringArray(value, pointer, what, &pointers);
  std::vector<Domain> domains;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (auto domain = DecodeDomain(texts[i], pointers[i], "domain")) {
      domains.push_back(std::move(*domain));
    }
  }
  return domains;
}

// A route's domains as the parser kept them: each already canonical name stays where it is
// (in the text), the others are checked and normalized one by one, and the elements that are
// not strings are reported in their place, as StringArray would.
DomainList Decoder::DecodeRouteDomains(DomainArray& array, const std::string& pointer) {
  auto other = array.others.begin();
  auto report_others_before = [&](std::size_t index) {
    for (; other != array.others.end() && other->first < index; ++other) {
      in_.ArrayString(other->second, Reader::Element(pointer, other->first), "\"domains\"");
    }
  };
  DomainList domains = std::move(array.strings);
  domains.Filter([&](const RouteDomain& domain, std::optional<std::string>& rename) {
    report_others_before(domain.index);
    if (IsCanonicalDomain(domain.name)) return true;
    std::optional<Domain> decoded =
        DecodeDomain(std::string(domain.name), Reader::Element(pointer, domain.index), "domain");
    if (!decoded) return false;
    if (decoded->name != domain.name) rename = std::move(decoded->name);
    return true;
  });
  report_others_before(array.count);
  return domains;
}

std::vector<NetworkEntry> Decoder::DecodeNetworks(const Json& value, const std::string& pointer,
                                                  std::string_view what) {
  std::vector<std::string> pointers;
  std::vector<std::string> texts = in_.StringArray(value, pointer, what, &pointers);
  std::vector<NetworkEntry> networks;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (!in_.SafeName(texts[i], pointers[i], "network", ":")) continue;  // IPv6 has colons
    NetworkParseResult parsed = ParseNetwork(texts[i]);
    if (parsed.network) {
      networks.push_back(NetworkEntry{*parsed.network, pointers[i]});
      continue;
    }
    bool host_bits = parsed.error.find("host bits") != std::string::npos;
    diags_.Error(host_bits ? "host-bits-set" : "bad-network", pointers[i],
                 fmt::format("bad network in {}: {}", what, parsed.error), parsed.hint);
  }
  return networks;
}

void Decoder::DecodeRoutes(const Json& value, Policy& policy) {
  if (!in_.Array(value, "/routes", "\"routes\"")) return;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string pointer = Reader::Element("/routes", i);
    std::string what = fmt::format("route {}", i + 1);
    if (!in_.CheckObject(value[i], pointer, what, kRouteKeys, {"domains", "relay"})) continue;
    const Json& object = value[i];
    Route route;
    route.pointer = pointer;
    if (auto it = object.find("domains"); it != object.end()) {
      if (it->is_binary()) {  // the array, kept apart by the parser
        DomainArray& array = (*domain_arrays_)[it->get_binary().subtype()];
        route.domains = DecodeRouteDomains(array, pointer + "/domains");
        if (array.count == 0) {
          diags_.Error("empty-route", pointer + "/domains",
                       fmt::format("{} lists no domains", what));
        }
      } else {  // not an array: reported as such
        in_.StringArray(*it, pointer + "/domains", "\"domains\"", nullptr);
      }
    }
    if (auto it = object.find("subdomains"); it != object.end()) {
      route.subdomains = in_.Bool(*it, pointer + "/subdomains", "\"subdomains\"").value_or(false);
    }
    if (auto it = object.find("relay"); it != object.end()) {
      if (const std::string* relay = in_.String(*it, pointer + "/relay", "\"relay\"")) {
        route.relay = *relay;
      }
    }
    if (auto it = object.find("note"); it != object.end()) {
      if (const std::string* note = in_.String(*it, pointer + "/note", "\"note\"")) {
        std::string problem = FindUnsafeCharacter(*note, " #:[]@\"\\,=");
        if (!problem.empty() || note->size() > kMaxNoteBytes) {
          diags_.Error("bad-note", pointer + "/note",
                       problem.empty()
                           ? fmt::format("note of {} is longer than {} bytes", what, kMaxNoteBytes)
                           : fmt::format("note of {} contains {}", what, problem),
                       "a note becomes one comment line in the outputs: keep it to one line");
        } else {
          route.note = *note;
        }
      }
    }
    policy.routes.push_back(std::move(route));
  }
}

void Decoder::DecodeOrigins(const Json& value, Policy& policy) {
  if (!in_.Array(value, "/origins", "\"origins\"")) return;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string pointer = Reader::Element("/origins", i);
    std::string what = fmt::format("origin {}", i + 1);
    if (!in_.CheckObject(value[i], pointer, what, kOriginKeys, {"name", "networks"})) continue;
    Origin origin;
    origin.pointer = pointer;
    if (auto it = value[i].find("name"); it != value[i].end()) {
      if (const std::string* name = in_.String(*it, pointer + "/name", "\"name\"")) {
        if (in_.SafeName(*name, pointer + "/name", "origin name")) origin.name = *name;
      }
    }
    if (auto it = value[i].find("networks"); it != value[i].end()) {
      origin.networks =
          DecodeNetworks(*it, pointer + "/networks", fmt::format("networks of {}", what));
    }
    policy.origins.push_back(std::move(origin));
  }
}

void Decoder::DecodeSpf(const Json& value, Policy& policy) {
  if (!in_.Array(value, "/spf", "\"spf\"")) return;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string pointer = Reader::Element("/spf", i);
    std::string what = fmt::format("SPF record {}", i + 1);
    if (!in_.CheckObject(value[i], pointer, what, kSpfKeys, {"domain"})) continue;
    const Json& object = value[i];
    SpfEntry entry;
    entry.pointer = pointer;
    if (auto it = object.find("domain"); it != object.end()) {
      if (const std::string* text = in_.String(*it, pointer + "/domain", "\"domain\"")) {
        if (auto domain = DecodeDomain(*text, pointer + "/domain", "SPF domain")) {
          entry.domain = std::move(*domain);
        }
      }
    }
    if (auto it = object.find("include"); it != object.end()) {
      entry.include = DecodeDomains(*it, pointer + "/include", "\"include\"");
    }
    if (auto it = object.find("mechanisms"); it != object.end()) {
      entry.mechanisms = in_.StringArray(*it, pointer + "/mechanisms", "\"mechanisms\"",
                                         &entry.mechanism_pointers);
    }
    if (auto it = object.find("all"); it != object.end()) {
      if (const std::string* all = in_.String(*it, pointer + "/all", "\"all\"")) entry.all = *all;
    }
    if (auto it = object.find("ttl"); it != object.end()) {
      auto ttl = in_.Integer(*it, pointer + "/ttl", "\"ttl\"", 0, 2147483647);
      if (ttl) entry.ttl = static_cast<std::uint32_t>(*ttl);
    }
    policy.spf.push_back(std::move(entry));
  }
}

}  // namespace

Policy DecodePolicy(PolicyDocument& document, std::string file, Diagnostics& diags) {
  return Decoder(diags).Decode(document, std::move(file));
}

}  // namespace mtaroute
