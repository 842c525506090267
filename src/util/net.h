// IP addresses and networks in canonical form, and their conversions for the targets:
// CIDR to tcprules address patterns, containment, classification of special ranges.
// Pure functions over values: no I/O, no diagnostics (callers turn errors into them).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtaroute {

enum class Family { kV4, kV6 };

struct IpAddress {
  Family family = Family::kV4;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3], the rest stay zero.

  int Bits() const { return family == Family::kV4 ? 32 : 128; }
  // Canonical text: dotted quad without leading zeros; IPv6 as RFC 5952 (inet_ntop).
  std::string ToString() const;
  auto operator<=>(const IpAddress&) const = default;
};

// Strict parse of an address without brackets, zone id or prefix. IPv4 must be four decimal
// parts 0..255 without leading zeros ("010" is octal to some programs); IPv6 per inet_pton.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

struct Network {
  IpAddress address;  // host bits are always zero
  int prefix = 32;

  bool IsHost() const { return prefix == address.Bits(); }
  // "203.0.113.0/24", "2001:db8::/32"; a host keeps its prefix: "192.0.2.5/32".
  std::string ToString() const;
  // Like ToString, but a host is written without its prefix: "192.0.2.5", "2001:db8::1".
  std::string ToCompactString() const;
  bool Contains(const Network& other) const;  // same family, other inside this (or equal)
  bool Contains(const IpAddress& address) const;
  auto operator<=>(const Network&) const = default;
};

struct NetworkParseResult {
  std::optional<Network> network;  // set when valid
  std::string error;               // what is wrong, when invalid
  std::string hint;                // how to fix it (for host bits: the canonical network)
};

// Parses "ADDRESS" (a host) or "ADDRESS/PREFIX". Rejects: bad address, leading zeros in an
// IPv4 part or in the prefix, prefix out of range or not decimal, host bits set (hint: the
// canonical network, e.g. "10.1.2.0/24" for "10.1.2.3/24").
NetworkParseResult ParseNetwork(std::string_view text);

// Drops duplicates and networks contained in another network of the list; keeps the first
// appearance order of what remains.
std::vector<Network> RemoveCoveredNetworks(const std::vector<Network>& networks);

// ucspi-tcp tcprules has no CIDR. Returns the fewest patterns that together match exactly the
// addresses of an IPv4 network: "192.0.2.5" (exact), "198.51.100." (prefix ending in a dot),
// "203.0.113.8-15" (range in the last given part), "10.16-31." (range then dot), "0-255." for
// /0, as the real tcprules 0.88 accepts them (checked with tcprules and tcprulescheck; see
// net.cc). Since tcprules expands a range followed by a dot, this is always one pattern.
// Ascending order. IPv4 only: callers reject IPv6 first (an IPv6 network gives no pattern).
std::vector<std::string> TcprulesPatterns(const Network& network);

// Why an address range should not stand in a public SPF record, or "" when it may:
// "private (RFC 1918)", "loopback", "documentation (RFC 5737)", "link-local", "unique local
// (RFC 4193)", "shared address space (RFC 6598)", "unspecified", "multicast", ... The network
// is flagged when it overlaps such a range (contains it or lies inside it).
std::string SpecialPurposeRange(const Network& network);

}  // namespace mtaroute
