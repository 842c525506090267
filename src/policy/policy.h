// The policy model: plain value types holding canonical forms (lower-case A-label domains,
// networks without host bits, addresses in one spelling). Nothing here knows JSON; each entity
// keeps the JSON pointer it came from so later checks can still point at file:line:col.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/net.h"

namespace mtaroute {

inline constexpr std::string_view kDirect = "direct";

enum class TlsLevel { kNone, kMay, kEncrypt, kDane, kVerify, kSecure };
const char* TlsLevelName(TlsLevel level);
std::optional<TlsLevel> ParseTlsLevel(std::string_view text);
// encrypt, dane, verify and secure refuse to send in the clear (what auth needs).
bool TlsIsMandatory(TlsLevel level);

struct Host {
  enum class Kind { kName, kIpv4, kIpv6 };
  Kind kind = Kind::kName;
  std::string text;  // canonical: A-label host name, or the address without brackets
  bool IsAddress() const { return kind != Kind::kName; }
};

struct RelayAuth {
  std::string username;
  std::string password_file;  // exactly one of password_file and password_env is set
  std::string password_env;
  std::string pointer;
};

struct NetworkEntry {
  Network network;
  std::string pointer;
};

struct Relay {
  std::string name;
  std::string pointer;
  Host host;
  int port = 25;
  bool mx = false;
  std::optional<TlsLevel> tls;
  std::optional<RelayAuth> auth;
  std::vector<NetworkEntry> egress;
};

struct Domain {
  std::string name;  // canonical A-label
  std::string pointer;
};

struct Route {
  std::vector<Domain> domains;
  bool subdomains = false;
  std::string relay;  // a relay name or "direct"
  std::string note;   // one line
  std::string pointer;
};

struct Origin {
  std::string name;
  std::vector<NetworkEntry> networks;
  std::string pointer;
};

struct SpfEntry {
  Domain domain;
  std::vector<Domain> include;
  std::vector<std::string> mechanisms;  // as written; checked by the SPF rules
  std::vector<std::string> mechanism_pointers;  // the JSON pointer of each mechanism
  std::string all = "~all";
  std::uint32_t ttl = 3600;
  std::string pointer;
};

struct Policy {
  std::string file;  // as given on the command line, for headers and messages
  int version = 1;
  std::vector<Relay> relays;  // sorted by name
  std::vector<Route> routes;  // in policy order
  std::string default_route = std::string(kDirect);
  std::string default_pointer;  // "/default" when given
  std::vector<Origin> origins;
  std::vector<SpfEntry> spf;
  // "mtas" names qmail, or is absent: lint warns about what stock qmail cannot do.
  bool for_qmail = true;

  const Relay* FindRelay(std::string_view name) const;
  // The relays that a route or the default sends mail through, sorted by name.
  std::vector<const Relay*> UsedRelays() const;
};

}  // namespace mtaroute
