// IP addresses and networks: strict parsing (IPv4 by hand, IPv6 via inet_pton), canonical
// text, containment, removal of covered networks, the translation of an IPv4 CIDR network
// into ucspi-tcp tcprules address patterns, and the classification of special-purpose ranges.
// Pure functions over values; error texts are short English phrases for the diagnostics.

#include "util/net.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mtaroute {
namespace {

constexpr size_t kMaxEchoBytes = 60;  // user input echoed in errors is cut after this
constexpr int kV4Bits = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

// Echoes user input in double quotes, cut to kMaxEchoBytes (on a UTF-8 boundary) plus "...".
std::string Quote(std::string_view text) {
  if (text.size() <= kMaxEchoBytes) return "\"" + std::string(text) + "\"";
  size_t cut = kMaxEchoBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(text.substr(0, cut)) + "...\"";
}

// Outcome of the strict IPv4 parse; `leading_zero_part` names the first offending part.
struct Ipv4Parse {
  std::optional<IpAddress> address;
  std::string leading_zero_part;
};

// Exactly four dot-separated decimal parts 0..255; no empty parts, signs, spaces or leading
// zeros ("010" would be octal to inet_aton and friends). A part with a leading zero but an
// otherwise valid value is reported in `leading_zero_part` so callers can explain it.
Ipv4Parse ParseIpv4(std::string_view text) {
  Ipv4Parse result;
  IpAddress address;
  std::string_view leading_zero;
  size_t start = 0;
  for (int part = 0; part < 4; ++part) {
    const size_t dot = text.find('.', start);
    if ((part < 3) == (dot == std::string_view::npos)) return result;  // wrong part count
    const std::string_view digits =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsAllDigits(digits)) return result;
    int value = 0;
    for (char c : digits) {
      value = value * 10 + (c - '0');
      if (value > 255) return result;
    }
    if (digits.size() > 1 && digits[0] == '0' && leading_zero.empty()) leading_zero = digits;
    address.bytes[part] = static_cast<uint8_t>(value);
    start = dot + 1;
  }
  if (!leading_zero.empty()) {
    result.leading_zero_part = std::string(leading_zero);
    return result;
  }
  address.family = Family::kV4;
  result.address = address;
  return result;
}

// inet_pton judges the syntax; characters it would never accept in a plain address
// (brackets, "%zone", spaces, NUL) are refused up front so nothing is silently cut off.
std::optional<IpAddress> ParseIpv6(std::string_view text) {
  constexpr std::string_view kAllowed = "0123456789abcdefABCDEF:.";
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  if (text.find_first_not_of(kAllowed) != std::string_view::npos) return std::nullopt;
  const std::string copy(text);
  IpAddress address;
  address.family = Family::kV6;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  return address;
}

// The address with every bit after the first `prefix` bits cleared.
IpAddress Masked(const IpAddress& address, int prefix) {
  IpAddress result = address;
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(prefix - i * 8, 0, 8);
    const unsigned mask = keep == 0 ? 0u : (0xFFu << (8 - keep)) & 0xFFu;
    result.bytes[i] = static_cast<uint8_t>(result.bytes[i] & mask);
  }
  return result;
}

// Why the address part of ParseNetwork's input is invalid, with a hint where one helps.
NetworkParseResult AddressError(std::string_view text) {
  NetworkParseResult result;
  if (text.empty()) {
    result.error = "missing address";
    return result;
  }
  if (text.find(':') == std::string_view::npos) {
    const Ipv4Parse v4 = ParseIpv4(text);
    if (!v4.leading_zero_part.empty()) {
      result.error = "leading zero in " + Quote(v4.leading_zero_part) + " (octal to some programs)";
      const size_t first_digit = v4.leading_zero_part.find_first_not_of('0');
      const std::string decimal =
          first_digit == std::string::npos ? "0" : v4.leading_zero_part.substr(first_digit);
      result.hint = "write " + Quote(decimal) + " if decimal is meant";
      return result;
    }
  }
  result.error = Quote(text) + " is not an IPv4 or IPv6 address";
  if (text.front() == '[' || text.back() == ']') {
    result.hint = "write the address without brackets";
  } else if (text.find('%') != std::string_view::npos) {
    result.hint = "remove the zone id (" + Quote(text.substr(text.find('%'))) + ")";
  } else if (text.find_first_of(" \t") != std::string_view::npos) {
    result.hint = "remove the spaces";
  }
  return result;
}

// Parses the prefix length after "/" for an address of `bits` bits; sets `error` on failure.
std::optional<int> ParsePrefix(std::string_view text, int bits, std::string& error) {
  if (text.empty()) {
    error = "missing prefix length after \"/\"";
    return std::nullopt;
  }
  if (!IsAllDigits(text)) {
    error = "prefix length " + Quote(text) + " is not a decimal number";
    return std::nullopt;
  }
  if (text.size() > 1 && text[0] == '0') {
    error = "leading zero in prefix length " + Quote(text);
    return std::nullopt;
  }
  int value = 0;
  for (char c : text) value = std::min(value * 10 + (c - '0'), 100000);
  if (value > bits) {
    const std::string shown = text.size() <= 6 ? std::string(text) : Quote(text);
    error = "prefix length " + shown + " is out of range for " +
            (bits == kV4Bits ? "IPv4 (0..32)" : "IPv6 (0..128)");
    return std::nullopt;
  }
  return value;
}

struct SpecialRange {
  Network network;
  std::string_view reason;
};

const std::vector<SpecialRange>& SpecialRanges() {
  static const auto* const kRanges = [] {
    constexpr std::pair<std::string_view, std::string_view> kTable[] = {
        {"0.0.0.0/8", "this network"},
        {"10.0.0.0/8", "private (RFC 1918)"},
        {"100.64.0.0/10", "shared address space (RFC 6598)"},
        {"127.0.0.0/8", "loopback"},
        {"169.254.0.0/16", "link-local"},
        {"172.16.0.0/12", "private (RFC 1918)"},
        {"192.0.0.0/24", "IETF protocol assignments"},
        {"192.0.2.0/24", "documentation (RFC 5737)"},
        {"192.168.0.0/16", "private (RFC 1918)"},
        {"198.18.0.0/15", "benchmarking (RFC 2544)"},
        {"198.51.100.0/24", "documentation (RFC 5737)"},
        {"203.0.113.0/24", "documentation (RFC 5737)"},
        {"224.0.0.0/4", "multicast"},
        {"255.255.255.255/32", "broadcast"},
        {"240.0.0.0/4", "reserved"},
        {"::/128", "unspecified"},
        {"::1/128", "loopback"},
        {"::ffff:0:0/96", "IPv4-mapped"},
        {"fc00::/7", "unique local (RFC 4193)"},
        {"fe80::/10", "link-local"},
        {"2001:db8::/32", "documentation (RFC 3849)"},
        {"ff00::/8", "multicast"},
    };
    auto* ranges = new std::vector<SpecialRange>;
    for (const auto& [cidr, reason] : kTable) {
      ranges->push_back({*ParseNetwork(cidr).network, reason});
    }
    return ranges;
  }();
  return *kRanges;
}

}  // namespace

std::string IpAddress::ToString() const {
  if (family == Family::kV4) {
    return std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
           std::to_string(bytes[2]) + "." + std::to_string(bytes[3]);
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, bytes.data(), text, sizeof text) == nullptr) return "";
  return text;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return ParseIpv6(text);
  return ParseIpv4(text).address;
}

std::string Network::ToString() const { return address.ToString() + "/" + std::to_string(prefix); }

std::string Network::ToCompactString() const { return IsHost() ? address.ToString() : ToString(); }

bool Network::Contains(const Network& other) const {
  return other.address.family == address.family && other.prefix >= prefix &&
         Masked(other.address, prefix) == address;
}

bool Network::Contains(const IpAddress& other) const {
  return other.family == address.family && Masked(other, prefix) == address;
}

NetworkParseResult ParseNetwork(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const std::optional<IpAddress> address = ParseIpAddress(address_text);
  if (!address) return AddressError(address_text);

  NetworkParseResult result;
  int prefix = address->Bits();
  if (slash != std::string_view::npos) {
    const std::optional<int> parsed = ParsePrefix(text.substr(slash + 1), prefix, result.error);
    if (!parsed) return result;
    prefix = *parsed;
  }
  const Network network{Masked(*address, prefix), prefix};
  if (network.address != *address) {
    result.error = "host bits set in " + Quote(text);
    result.hint = "use " + Quote(network.ToString());
    return result;
  }
  result.network = network;
  return result;
}

// CIDR blocks are either nested or disjoint. Sorted by (family, address, prefix) with a
// stable sort, a block that is covered by any other block of the list is covered by the last
// survivor before it, and of equal blocks the first appearance sorts first and survives.
std::vector<Network> RemoveCoveredNetworks(const std::vector<Network>& networks) {
  std::vector<size_t> order(networks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&networks](size_t a, size_t b) {
    return networks[a] < networks[b];  // family, then address, then prefix
  });
  std::vector<bool> keep(networks.size(), false);
  const Network* cover = nullptr;
  for (size_t index : order) {
    if (cover != nullptr && cover->Contains(networks[index])) continue;
    keep[index] = true;
    cover = &networks[index];
  }
  std::vector<Network> result;
  for (size_t i = 0; i < networks.size(); ++i) {
    if (keep[i]) result.push_back(networks[i]);
  }
  return result;
}

// What ucspi-tcp 0.88 tcprules/tcprulescheck really do (checked with the Debian package
// 1:0.88-7, dumping the compiled cdb and asking tcprulescheck with TCPREMOTEIP=...):
// - tcpserver looks up the exact $TCPREMOTEIP, then shorter and shorter prefixes of it that
//   end in a dot ("10.17.3.", "10.17.", "10."), then "". So "198.51.100." matches only
//   198.51.100.*, never 198.51.1000.x or 10.160.x.x for "10.16.".
// - Ranges exist only in tcprules: it expands the FIRST "lo-hi" of the address into one cdb
//   key per value, keeping the text before and after it: "203.0.113.8-15" becomes the keys
//   "203.0.113.8" .. "203.0.113.15"; "10.16-31." becomes "10.16." .. "10.31."; "0-255."
//   becomes "0." .. "255." (256 keys, matches every IPv4 address); "10.16-31.5" becomes
//   "10.16.5" .. "10.31.5". A second range is kept literally ("10.1-2.3-4" gives the useless
//   keys "10.1.3-4" and "10.2.3-4"), lo > hi gives no key at all, hi is clamped to 255 and
//   "016" reads as decimal 16. tcprules reports none of this as an error.
// Hence every CIDR block is exactly one pattern: the whole octets, then either nothing more
// (dot prefix or exact host) or a range over the one partial octet, followed by a dot unless
// it is the last octet. One pattern is the fewest possible.
std::vector<std::string> TcprulesPatterns(const Network& network) {
  if (network.address.family != Family::kV4) return {};
  const int whole_octets = network.prefix / 8;
  const int partial_bits = network.prefix % 8;
  std::string pattern;
  for (int i = 0; i < whole_octets; ++i) {
    pattern += std::to_string(network.address.bytes[i]);
    if (i < 3) pattern += '.';
  }
  if (whole_octets < 4 && (partial_bits != 0 || whole_octets == 0)) {
    const int low = network.address.bytes[whole_octets];
    const int high = low + (1 << (8 - partial_bits)) - 1;
    pattern += std::to_string(low) + "-" + std::to_string(high);
    if (whole_octets < 3) pattern += '.';
  }
  return {pattern};
}

std::string SpecialPurposeRange(const Network& network) {
  for (const SpecialRange& range : SpecialRanges()) {
    if (range.network.Contains(network) || network.Contains(range.network)) {
      return std::string(range.reason);
    }
  }
  return "";
}

}  // namespace mtaroute
