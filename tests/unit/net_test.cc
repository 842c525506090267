// Unit tests for util/net: strict address and network parsing, canonical text, containment,
// RemoveCoveredNetworks, SpecialPurposeRange, and a property test that checks TcprulesPatterns
// against a model of ucspi-tcp tcprules' range expansion and tcpserver's lookup.

#include "util/net.h"

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace mtaroute {
namespace {

IpAddress Ip(const std::string& text) {
  const std::optional<IpAddress> address = ParseIpAddress(text);
  REQUIRE(address.has_value());
  return *address;
}

Network Net(const std::string& text) {
  const NetworkParseResult result = ParseNetwork(text);
  INFO(text << ": " << result.error);
  REQUIRE(result.network.has_value());
  return *result.network;
}

std::string V4Text(uint32_t value) {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xFF) + "." +
         std::to_string((value >> 8) & 0xFF) + "." + std::to_string(value & 0xFF);
}

// The cdb keys tcprules 0.88 writes for an address pattern: the first "lo-hi" (digits back to
// the previous dot, digits after the dash) is expanded to one key per value, keeping the text
// around it; hi is clamped to 255; lo > hi yields no key. Verified against the real tcprules.
std::vector<std::string> TcprulesKeys(const std::string& pattern) {
  const size_t dash = pattern.find('-');
  if (dash == std::string::npos) return {pattern};
  const size_t dot = pattern.rfind('.', dash);
  const size_t left = dot == std::string::npos ? 0 : dot + 1;
  size_t right = dash + 1;
  while (right < pattern.size() && pattern[right] >= '0' && pattern[right] <= '9') ++right;
  const unsigned long low = std::stoul(pattern.substr(left, dash - left));
  const unsigned long high =
      std::min(std::stoul(pattern.substr(dash + 1, right - dash - 1)), 255ul);
  std::vector<std::string> keys;
  for (unsigned long value = low; value <= high; ++value) {
    keys.push_back(pattern.substr(0, left) + std::to_string(value) + pattern.substr(right));
  }
  return keys;
}

// tcpserver's lookup: the exact address, or a key ending in a dot that is a prefix of it.
bool TcprulesMatch(const std::vector<std::string>& patterns, const std::string& ip) {
  for (const std::string& pattern : patterns) {
    for (const std::string& key : TcprulesKeys(pattern)) {
      if (key == ip) return true;
      if (!key.empty() && key.back() == '.' && ip.compare(0, key.size(), key) == 0) return true;
    }
  }
  return false;
}

TEST_CASE("ParseIpAddress accepts valid addresses in canonical form", "[net]") {
  struct Case {
    std::string input;
    std::string canonical;
  };
  const std::vector<Case> cases = {
      {"0.0.0.0", "0.0.0.0"},
      {"192.0.2.1", "192.0.2.1"},
      {"255.255.255.255", "255.255.255.255"},
      {"10.0.0.10", "10.0.0.10"},
      {"::", "::"},
      {"::1", "::1"},
      {"2001:DB8:0:0::1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
      {"2001:db8::1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"::FFFF:C000:0201", "::ffff:192.0.2.1"},
      {"fe80::1", "fe80::1"},
      {"FF02::1", "ff02::1"},
  };
  for (const Case& test : cases) {
    INFO(test.input);
    const std::optional<IpAddress> address = ParseIpAddress(test.input);
    REQUIRE(address.has_value());
    CHECK(address->ToString() == test.canonical);
  }
  CHECK(Ip("192.0.2.1").family == Family::kV4);
  CHECK(Ip("192.0.2.1").Bits() == 32);
  CHECK(Ip("::ffff:192.0.2.1").family == Family::kV6);
  CHECK(Ip("::ffff:192.0.2.1").Bits() == 128);
}

TEST_CASE("ParseIpAddress rejects invalid addresses", "[net]") {
  const std::vector<std::string> cases = {
      "",           "10.1.2",       "10.1.2.3.4",   "10.1.2.",     ".10.1.2",
      "10..1.2",    "256.1.2.3",    "1.2.3.1000",   "010.1.2.3",   "10.1.2.03",
      "10.1.2.00",  "+1.2.3.4",     "1.2.3.-4",     " 1.2.3.4",    "1.2.3.4 ",
      "1.2.3.4/32", "0x1.2.3.4",    "1.2.3.a",      "1.2.3.4\n",   "4294967295",
      "10.1",       "1.2.3.99999999999999999999",   "[::1]",       "fe80::1%eth0",
      " ::1",       "::1 ",         "::1/128",      "2001:db8:::1", "2001:db8::1::2",
      "12345::",    "1:2:3:4:5:6:7:8:9",            "::ffff:010.0.2.1",
      ":",          "g::1",         "::ffff:1.2.3", std::string("::1\0", 4),
      "１.2.3.4",
  };
  for (const std::string& input : cases) {
    INFO(input);
    CHECK_FALSE(ParseIpAddress(input).has_value());
  }
}

TEST_CASE("ParseNetwork accepts hosts and networks", "[net]") {
  struct Case {
    std::string input;
    std::string full;
    std::string compact;
  };
  const std::vector<Case> cases = {
      {"192.0.2.5", "192.0.2.5/32", "192.0.2.5"},
      {"192.0.2.5/32", "192.0.2.5/32", "192.0.2.5"},
      {"203.0.113.0/24", "203.0.113.0/24", "203.0.113.0/24"},
      {"10.16.0.0/12", "10.16.0.0/12", "10.16.0.0/12"},
      {"0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0"},
      {"203.0.113.8/29", "203.0.113.8/29", "203.0.113.8/29"},
      {"2001:DB8::/32", "2001:db8::/32", "2001:db8::/32"},
      {"2001:db8::1", "2001:db8::1/128", "2001:db8::1"},
      {"2001:db8::1/128", "2001:db8::1/128", "2001:db8::1"},
      {"::/0", "::/0", "::/0"},
      {"::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120"},
  };
  for (const Case& test : cases) {
    INFO(test.input);
    const NetworkParseResult result = ParseNetwork(test.input);
    REQUIRE(result.network.has_value());
    CHECK(result.error.empty());
    CHECK(result.network->ToString() == test.full);
    CHECK(result.network->ToCompactString() == test.compact);
  }
  CHECK(Net("192.0.2.5").IsHost());
  CHECK_FALSE(Net("192.0.2.4/31").IsHost());
  CHECK(Net("10.16.0.0/12").prefix == 12);
}

TEST_CASE("ParseNetwork explains what is wrong", "[net]") {
  struct Case {
    std::string input;
    std::string error;
    std::string hint;
  };
  const std::string long_input(70, '1');
  const std::vector<Case> cases = {
      {"10.1.2.3/24", "host bits set in \"10.1.2.3/24\"", "use \"10.1.2.0/24\""},
      {"2001:db8::1/32", "host bits set in \"2001:db8::1/32\"", "use \"2001:db8::/32\""},
      {"192.0.2.255/0", "host bits set in \"192.0.2.255/0\"", "use \"0.0.0.0/0\""},
      {"10.1.2", "\"10.1.2\" is not an IPv4 or IPv6 address", ""},
      {"10.1.2/24", "\"10.1.2\" is not an IPv4 or IPv6 address", ""},
      {"", "missing address", ""},
      {"/24", "missing address", ""},
      {"010.1.2.0/24", "leading zero in \"010\" (octal to some programs)",
       "write \"10\" if decimal is meant"},
      {"10.1.2.00", "leading zero in \"00\" (octal to some programs)",
       "write \"0\" if decimal is meant"},
      {"10.1.2.0/024", "leading zero in prefix length \"024\"", ""},
      {"10.1.2.0/33", "prefix length 33 is out of range for IPv4 (0..32)", ""},
      {"2001:db8::/129", "prefix length 129 is out of range for IPv6 (0..128)", ""},
      {"10.0.0.0/99999999999", "prefix length \"99999999999\" is out of range for IPv4 (0..32)",
       ""},
      {"10.1.2.0/", "missing prefix length after \"/\"", ""},
      {"10.1.2.0/+24", "prefix length \"+24\" is not a decimal number", ""},
      {"10.1.2.0/24 ", "prefix length \"24 \" is not a decimal number", ""},
      {"10.1.2.0/24/8", "prefix length \"24/8\" is not a decimal number", ""},
      {"10.1.2.0/-1", "prefix length \"-1\" is not a decimal number", ""},
      {"[2001:db8::1]", "\"[2001:db8::1]\" is not an IPv4 or IPv6 address",
       "write the address without brackets"},
      {"fe80::1%eth0", "\"fe80::1%eth0\" is not an IPv4 or IPv6 address",
       "remove the zone id (\"%eth0\")"},
      {" 10.1.2.3", "\" 10.1.2.3\" is not an IPv4 or IPv6 address", "remove the spaces"},
      {long_input,
       "\"" + std::string(60, '1') + "...\" is not an IPv4 or IPv6 address", ""},
  };
  for (const Case& test : cases) {
    INFO(test.input);
    const NetworkParseResult result = ParseNetwork(test.input);
    CHECK_FALSE(result.network.has_value());
    CHECK(result.error == test.error);
    CHECK(result.hint == test.hint);
  }
}

TEST_CASE("Network::Contains networks and addresses", "[net]") {
  struct Case {
    std::string outer;
    std::string inner;
    bool expected;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.1.2.0/24", true},
      {"10.0.0.0/8", "10.0.0.0/8", true},
      {"10.1.2.0/24", "10.0.0.0/8", false},
      {"10.0.0.0/8", "11.0.0.0/24", false},
      {"0.0.0.0/0", "255.255.255.255", true},
      {"192.0.2.0/25", "192.0.2.128/25", false},
      {"192.0.2.0/24", "192.0.2.128/25", true},
      {"2001:db8::/32", "2001:db8:1::/48", true},
      {"2001:db8::/32", "2001:db9::/48", false},
      {"::/0", "0.0.0.0/0", false},
      {"0.0.0.0/0", "::/0", false},
      {"::ffff:0:0/96", "192.0.2.1", false},
  };
  for (const Case& test : cases) {
    INFO(test.outer << " contains " << test.inner);
    CHECK(Net(test.outer).Contains(Net(test.inner)) == test.expected);
    if (Net(test.inner).IsHost()) {
      CHECK(Net(test.outer).Contains(Net(test.inner).address) == test.expected);
    }
  }
  CHECK(Net("10.16.0.0/12").Contains(Ip("10.31.255.255")));
  CHECK_FALSE(Net("10.16.0.0/12").Contains(Ip("10.32.0.0")));
  CHECK(Net("::ffff:0:0/96").Contains(Ip("::ffff:192.0.2.1")));
}

TEST_CASE("RemoveCoveredNetworks keeps uncovered networks in first-appearance order", "[net]") {
  struct Case {
    std::vector<std::string> input;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{}, {}},
      {{"192.0.2.1"}, {"192.0.2.1/32"}},
      {{"192.0.2.1", "192.0.2.1"}, {"192.0.2.1/32"}},
      {{"10.1.2.0/24", "10.0.0.0/8"}, {"10.0.0.0/8"}},
      {{"10.0.0.0/8", "10.1.2.0/24", "10.1.2.3"}, {"10.0.0.0/8"}},
      {{"192.0.2.9", "10.0.0.0/8", "192.0.2.0/29", "192.0.2.0/30"},
       {"192.0.2.9/32", "10.0.0.0/8", "192.0.2.0/29"}},
      {{"192.0.2.128/25", "192.0.2.0/25"}, {"192.0.2.128/25", "192.0.2.0/25"}},
      {{"2001:db8::1", "192.0.2.0/24", "2001:db8::/32", "192.0.2.0/24"},
       {"192.0.2.0/24", "2001:db8::/32"}},
      {{"0.0.0.0/0", "::/0", "1.2.3.4", "::1"}, {"0.0.0.0/0", "::/0"}},
      {{"10.1.0.0/16", "10.2.0.0/16", "10.1.5.0/24", "10.3.0.0/16", "10.0.0.0/14"},
       {"10.0.0.0/14"}},
  };
  for (const Case& test : cases) {
    std::vector<Network> networks;
    std::string joined;
    for (const std::string& text : test.input) {
      networks.push_back(Net(text));
      joined += text + " ";
    }
    INFO(joined);
    std::vector<std::string> got;
    for (const Network& network : RemoveCoveredNetworks(networks)) {
      got.push_back(network.ToString());
    }
    CHECK(got == test.expected);
  }
}

TEST_CASE("RemoveCoveredNetworks agrees with a brute-force reference", "[net]") {
  std::mt19937 random(4242);
  for (int iteration = 0; iteration < 300; ++iteration) {
    // Small address space (10.0.0.0/16, 2001:db8::/112) so that lists nest and repeat a lot.
    std::vector<Network> networks;
    const int count = 1 + static_cast<int>(random() % 120);
    for (int i = 0; i < count; ++i) {
      const bool v6 = random() % 4 == 0;
      const int host_bits = static_cast<int>(random() % 17);  // 0..16
      const uint32_t low = (random() & 0xFFFF) & ~((uint32_t{1} << host_bits) - 1);
      char hex[8];
      std::snprintf(hex, sizeof hex, "%x", static_cast<unsigned>(low));
      const std::string text =
          v6 ? "2001:db8::" + std::string(hex) + "/" + std::to_string(128 - host_bits)
             : "10.0." + std::to_string(low >> 8) + "." + std::to_string(low & 0xFF) + "/" +
                   std::to_string(32 - host_bits);
      networks.push_back(Net(text));
    }
    std::vector<Network> expected;
    for (size_t i = 0; i < networks.size(); ++i) {
      bool covered = false;
      for (size_t j = 0; j < networks.size() && !covered; ++j) {
        covered = j != i && networks[j].Contains(networks[i]) &&
                  (networks[j] != networks[i] || j < i);
      }
      if (!covered) expected.push_back(networks[i]);
    }
    INFO("iteration " << iteration);
    CHECK(RemoveCoveredNetworks(networks) == expected);
  }
}

TEST_CASE("SpecialPurposeRange flags networks overlapping special ranges", "[net]") {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"0.0.0.0/8", "this network"},
      {"0.0.0.0/0", "this network"},
      {"10.1.2.3", "private (RFC 1918)"},
      {"172.16.0.0/12", "private (RFC 1918)"},
      {"172.31.255.255", "private (RFC 1918)"},
      {"172.32.0.0", ""},
      {"172.0.0.0/8", "private (RFC 1918)"},
      {"192.168.1.0/24", "private (RFC 1918)"},
      {"100.64.0.1", "shared address space (RFC 6598)"},
      {"100.128.0.1", ""},
      {"127.0.0.1", "loopback"},
      {"169.254.1.1", "link-local"},
      {"192.0.0.8", "IETF protocol assignments"},
      {"192.0.2.5", "documentation (RFC 5737)"},
      {"198.51.100.0/24", "documentation (RFC 5737)"},
      {"203.0.113.8/29", "documentation (RFC 5737)"},
      {"198.19.0.1", "benchmarking (RFC 2544)"},
      {"198.20.0.1", ""},
      {"224.0.0.1", "multicast"},
      {"239.255.255.255", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.254", "reserved"},
      {"255.255.255.255", "broadcast"},
      {"8.8.8.8", ""},
      {"192.0.3.0/24", ""},
      {"1.0.0.0/8", ""},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"::2", ""},
      {"fd00::1", "unique local (RFC 4193)"},
      {"fc00::/7", "unique local (RFC 4193)"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"fec0::1", ""},
      {"2001:db8::/48", "documentation (RFC 3849)"},
      {"2001:db8::1", "documentation (RFC 3849)"},
      {"2001:db9::1", ""},
      {"ff02::1", "multicast"},
      {"::ffff:8.8.8.8", "IPv4-mapped"},
      {"2a00:1450::/32", ""},
      {"2000::/3", "documentation (RFC 3849)"},
  };
  for (const Case& test : cases) {
    INFO(test.input);
    CHECK(SpecialPurposeRange(Net(test.input)) == test.expected);
  }
  CHECK_FALSE(SpecialPurposeRange(Net("::/0")).empty());
}

TEST_CASE("TcprulesPatterns gives the single minimal pattern", "[net]") {
  struct Case {
    std::string input;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"192.0.2.5/32", {"192.0.2.5"}},
      {"203.0.113.8/29", {"203.0.113.8-15"}},
      {"192.0.2.254/31", {"192.0.2.254-255"}},
      {"192.0.2.128/25", {"192.0.2.128-255"}},
      {"198.51.100.0/24", {"198.51.100."}},
      {"10.1.4.0/22", {"10.1.4-7."}},
      {"172.16.0.0/16", {"172.16."}},
      {"10.16.0.0/12", {"10.16-31."}},
      {"10.0.0.0/8", {"10."}},
      {"128.0.0.0/1", {"128-255."}},
      {"0.0.0.0/0", {"0-255."}},
      {"::/0", {}},
  };
  for (const Case& test : cases) {
    INFO(test.input);
    CHECK(TcprulesPatterns(Net(test.input)) == test.expected);
  }
}

TEST_CASE("TcprulesPatterns match exactly the addresses of the network", "[net]") {
  std::mt19937 random(20240611);
  std::uniform_int_distribution<uint32_t> any_address;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    // Mostly /8../32 as the relays use; every 8th network is /0../7.
    const int prefix = iteration % 8 == 0 ? static_cast<int>(random() % 8)
                                          : 8 + static_cast<int>(random() % 25);
    const uint64_t size = uint64_t{1} << (32 - prefix);
    const uint32_t first = static_cast<uint32_t>(any_address(random) & ~(size - 1));
    const uint32_t last = static_cast<uint32_t>(first + (size - 1));
    const Network network = Net(V4Text(first) + "/" + std::to_string(prefix));
    const std::vector<std::string> patterns = TcprulesPatterns(network);
    INFO(network.ToString() << " -> " << (patterns.empty() ? "(none)" : patterns.front()));
    REQUIRE(patterns.size() == 1);  // one pattern is the minimum for a non-empty network

    const uint32_t inside = first + static_cast<uint32_t>(random() % size);
    for (const uint32_t address : {first, last, first + static_cast<uint32_t>(size / 2), inside}) {
      INFO(V4Text(address));
      CHECK(TcprulesMatch(patterns, V4Text(address)));
    }
    if (first != 0) CHECK_FALSE(TcprulesMatch(patterns, V4Text(first - 1)));
    if (last != UINT32_MAX) CHECK_FALSE(TcprulesMatch(patterns, V4Text(last + 1)));
    const uint32_t outside = any_address(random);
    if (!network.Contains(Ip(V4Text(outside)))) {
      INFO(V4Text(outside));
      CHECK_FALSE(TcprulesMatch(patterns, V4Text(outside)));
    }
  }
}

TEST_CASE("The tcprules model follows what tcprules does", "[net]") {
  // Keys observed in the cdb written by tcprules 0.88 (Debian ucspi-tcp 1:0.88-7).
  struct Case {
    std::string pattern;
    std::vector<std::string> keys;
  };
  const std::vector<Case> cases = {
      {"192.0.2.5", {"192.0.2.5"}},
      {"1.2.3.8-10", {"1.2.3.8", "1.2.3.9", "1.2.3.10"}},
      {"10.16-18.", {"10.16.", "10.17.", "10.18."}},
      {"10.16-17.5", {"10.16.5", "10.17.5"}},
      {"10.1-2.3-4", {"10.1.3-4", "10.2.3-4"}},
      {"10.31-16.", {}},
      {"10.254-300.", {"10.254.", "10.255."}},
  };
  for (const Case& test : cases) {
    INFO(test.pattern);
    CHECK(TcprulesKeys(test.pattern) == test.keys);
  }
  CHECK(TcprulesKeys("0-255.").size() == 256);
  CHECK(TcprulesMatch({"10.16."}, "10.16.0.1"));
  CHECK_FALSE(TcprulesMatch({"10.16."}, "10.160.0.1"));
  CHECK_FALSE(TcprulesMatch({"192.0.2.5"}, "192.0.2.50"));
}

}  // namespace
}  // namespace mtaroute
